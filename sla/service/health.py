"""``python -m sla check``: is this installation ready to serve?"""

from __future__ import annotations

from sla.core import config
from sla.storage import connection, users


def run_checks() -> list[dict]:
    """One row per check: {check, ok, detail}. Later checks are skipped when the database fails."""
    results = []
    uri = config.get("MONGO_URI")
    results.append({"check": "store", "ok": True,
                    "detail": f"external MongoDB {connection.describe_uri(uri)}" if uri
                    else f"embedded SecantusDB on {config.data_dir()}"})
    try:
        db = connection.connect()
    except connection.StoreError as exc:
        results.append({"check": "database", "ok": False, "detail": str(exc)})
        return results
    results.append({"check": "database", "ok": True,
                    "detail": f"reachable and authorised, database {db.name}"})
    missing = [f"{coll}.{name}" for coll, names in connection.REQUIRED_INDEXES.items()
               for name in names if name not in {i["name"] for i in db[coll].list_indexes()}]
    results.append({"check": "indexes", "ok": not missing,
                    "detail": "present" if not missing else f"missing: {', '.join(missing)}"})
    admins = users.admin_count(db)
    results.append({"check": "admin", "ok": admins > 0,
                    "detail": f"{admins} admin user(s)" if admins else
                    "no admin: run `./sla.sh user add NAME --role admin`"})
    results.append(_cookie_key_check(uri))
    return results


def _cookie_key_check(uri: str | None) -> dict:
    """The login cookies' key: set (or generated, with the embedded store) and long enough."""
    key_set = bool(config.get("SLA_COOKIE_KEY"))
    try:
        key = config.cookie_key(create=False)
    except config.ConfigError as exc:
        return {"check": "cookie key", "ok": False, "detail": str(exc)}
    ok = key_set or (not uri and key is not None)
    return {"check": "cookie key", "ok": ok,
            "detail": "SLA_COOKIE_KEY is set" if key_set else
            "generated key in the data folder" if ok else
            "set SLA_COOKIE_KEY (every app process must share one secret)"}
