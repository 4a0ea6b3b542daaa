"""MongoDB storage: connection (MONGO_URI or the embedded server), indexes, imports, history,
settings and the data version.

Collections: ``tickets`` (one document per SR, ``_id`` = sr_number), ``ticket_history``
(per import or edit, the fields that changed and their old values), ``uploads`` (an audit
record per import), ``agents``, ``settings``, ``users`` and ``meta`` (the data version).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, MongoClient, ReplaceOne, UpdateOne
from pymongo.database import Database
from pymongo.errors import OperationFailure, PyMongoError

from sla import config, embedded, fields, normalise, read
from sla.normalise import ImportReport

BATCH = 5000
# $in over thousands of keys is slow on some servers (quadratic on SecantusDB), so small files
# look their SRs up in chunks and large ones read the stored hashes in one scan.
LOOKUP_CHUNK = 100
LOOKUP_SCAN_RATIO = 20
DERIVED_FIELDS = ("status_class", "team", "priority", "response_sla", "resolution_sla")
TRACKED_FIELDS = normalise.FILE_FIELDS[1:] + DERIVED_FIELDS
_indexed: set[tuple[int, str]] = set()


class StoreError(RuntimeError):
    """The database cannot be used; the message is one friendly line."""


def connect(uri: str | None = None, db_name: str | None = None,
            timeout_ms: int = 5000) -> Database:
    """The app's database on MONGO_URI, or on the embedded server when no URI is set."""
    uri = uri or config.get("MONGO_URI")
    try:
        if not uri:
            uri = embedded.ensure_server(config.data_dir())
        client = MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms,
                             appname="sla-tracker")
        database = client[db_name or config.get("SLA_DB")]
        database.command("ping")
        ensure_indexes(database)
    except embedded.EmbeddedError as exc:
        raise StoreError(str(exc)) from None
    except OperationFailure as exc:
        if exc.code in (18, 13):
            raise StoreError("the database refused the login in MONGO_URI (authentication "
                             "failed or not authorised)") from None
        raise StoreError(f"the database refused a command: {exc.details.get('errmsg', exc)}") from None
    except PyMongoError as exc:
        raise StoreError(f"the database is unreachable ({describe_uri(uri)}): "
                         f"{str(exc).splitlines()[0][:160]}") from None
    return database


def describe_uri(uri: str | None) -> str:
    """A URI without its password, for messages."""
    if not uri:
        return "embedded"
    head, _, tail = uri.rpartition("@")
    if not head:
        return uri.split("?")[0]
    scheme, _, credentials = head.partition("://")
    return f"{scheme}://{credentials.split(':')[0]}:***@{tail.split('?')[0]}"


def ensure_indexes(db: Database) -> None:
    key = (id(db.client), db.name)
    if key in _indexed:
        return
    db.tickets.create_index("sr_number", unique=True)
    for name in ("created", "team", "priority", "resolved_by", "status_class"):
        db.tickets.create_index(name)
    db.tickets.create_index([("status_class", ASCENDING), ("team", ASCENDING)])
    db.ticket_history.create_index([("sr_number", ASCENDING), ("at", DESCENDING)])
    db.ticket_history.create_index("upload_id")
    db.uploads.create_index([("at", DESCENDING)])
    db.users.create_index("username", unique=True)
    _indexed.add(key)


REQUIRED_INDEXES = {"tickets": ["sr_number_1", "created_1", "team_1"],
                    "users": ["username_1"]}


# ---------------------------------------------------------------- data version and settings

def data_version(db: Database) -> int:
    """A number that changes exactly when stored data changes (caches key on it)."""
    doc = db.meta.find_one({"_id": "data_version"})
    return int(doc["value"]) if doc else 0


def bump_data_version(db: Database) -> int:
    doc = db.meta.find_one_and_update(
        {"_id": "data_version"}, {"$inc": {"value": 1}, "$set": {"at": _now()}},
        upsert=True, return_document=True)
    return int(doc["value"])


def get_settings(db: Database) -> dict:
    """The stored settings over the contract's defaults."""
    settings = copy.deepcopy(fields.DEFAULT_SETTINGS)
    stored = db.settings.find_one({"_id": "current"}) or {}
    for name in settings:
        if name in stored:
            settings[name] = stored[name]
    return settings


def save_settings(db: Database, settings: dict, user: str = "system") -> dict:
    """Store new settings and re-derive every ticket; returns what moved per field."""
    clean = {name: settings[name] for name in fields.DEFAULT_SETTINGS}
    db.settings.replace_one({"_id": "current"}, {"_id": "current", **clean,
                                                 "changed_by": user, "changed_at": _now()},
                            upsert=True)
    moved = rederive(db, clean, user)
    bump_data_version(db)  # score weights change figures even when no ticket moves
    return moved


def rederive(db: Database, settings: dict, user: str = "system") -> dict:
    """Recompute the derived fields of stored tickets; {field: Counter((old, new))} of changes."""
    moved: dict[str, Counter] = {name: Counter() for name in DERIVED_FIELDS}
    projection = {name: 1 for name in normalise.FILE_FIELDS if name != "extra"}
    projection.update({name: 1 for name in DERIVED_FIELDS})
    updates = []
    for ticket in db.tickets.find({}, projection):
        derived = normalise.derive(ticket, settings)
        changed = {k: v for k, v in derived.items() if ticket.get(k) != v}
        for name, value in changed.items():
            moved[name][(ticket.get(name), value)] += 1
        if changed:
            updates.append(UpdateOne({"_id": ticket["_id"]}, {"$set": changed}))
    if updates:
        bump_data_version(db)
        for chunk in _chunks(updates, BATCH):
            db.tickets.bulk_write(chunk, ordered=False)
        bump_data_version(db)
    return {name: {f"{old} → {new}": n for (old, new), n in counts.most_common()}
            for name, counts in moved.items() if counts}


# ---------------------------------------------------------------- importing

def import_file(db: Database, source, file_name: str | None = None, *, user: str = "cli",
                dry_run: bool = False, progress: Callable[[float, str], None] | None = None
                ) -> ImportReport:
    """Read, normalise and store one export. ReadError when the file fails as a whole."""
    data, name = read.load_bytes(source, file_name)
    table = read.read_table(data, name, max_bytes=config.max_upload_bytes())
    tickets, report = normalise.parse_tickets(table, get_settings(db), file_name=name)
    sha256 = hashlib.sha256(data).hexdigest()
    return import_tickets(db, tickets, report, user=user, sha256=sha256, dry_run=dry_run,
                          progress=progress)


def import_tickets(db: Database, tickets: list[dict], report: ImportReport, *, user: str,
                   sha256: str = "", dry_run: bool = False,
                   progress: Callable[[float, str], None] | None = None) -> ImportReport:
    """Store parsed tickets: bulk insert the new, bulk replace the changed, skip the unchanged.

    Safe to run again after an interruption: tickets are keyed by SR number and compared by
    content hash, so a second run writes what the first did not and nothing twice.
    """
    progress = progress or (lambda fraction, text: None)
    progress(0.0, "comparing with stored tickets")
    stored = _stored_tickets(db, [t["sr_number"] for t in tickets])
    now = _now()
    upload_id = ObjectId()
    new, changed, history = [], [], []
    for ticket in tickets:
        old = stored.get(ticket["sr_number"])
        if old is None:
            new.append(ticket)
        elif old.get("content_hash") != ticket["content_hash"] or _derived_differs(old, ticket):
            changed.append((ticket, old))
            history.append(_history_entry(ticket, old, upload_id, now, user, "import"))
    report.inserted, report.updated = len(new), len(changed)
    report.unchanged = len(tickets) - len(new) - len(changed)
    if dry_run:
        progress(1.0, "dry run: nothing written")
        return report
    db.uploads.insert_one(_upload_record(upload_id, report, user, sha256, now, "running"))
    if new or changed:
        bump_data_version(db)
    _write_tickets(db, new, changed, history, upload_id, now, progress)
    _record_agents(db, tickets, now)
    db.uploads.update_one({"_id": upload_id}, {"$set": {"status": "done", "finished_at": _now()}})
    if new or changed:
        bump_data_version(db)
    progress(1.0, "done")
    return report


def _stored_tickets(db: Database, srs: list[str]) -> dict[str, dict]:
    projection = {name: 1 for name in TRACKED_FIELDS}
    projection["content_hash"] = 1
    wanted = set(srs)
    if len(wanted) * LOOKUP_SCAN_RATIO < db.tickets.estimated_document_count():
        queries = [{"_id": {"$in": chunk}} for chunk in _chunks(sorted(wanted), LOOKUP_CHUNK)]
    else:  # most of the store is in the file: one scan beats many $in look-ups
        queries = [{}]
    stored = {}
    for query in queries:
        for doc in db.tickets.find(query, projection):
            if doc["_id"] in wanted:
                stored[doc["_id"]] = doc
    return stored


def _derived_differs(old: dict, ticket: dict) -> bool:
    return any(old.get(name) != ticket.get(name) for name in DERIVED_FIELDS)


def _history_entry(ticket: dict, old: dict, upload_id, now, user: str, kind: str) -> dict:
    changes = {}
    for name in TRACKED_FIELDS:
        if old.get(name) != ticket.get(name):
            changes[name] = {"old": old.get(name), "new": ticket.get(name)}
    return {"sr_number": ticket["sr_number"], "upload_id": upload_id, "at": now, "user": user,
            "kind": kind, "changes": changes}


def _write_tickets(db, new, changed, history, upload_id, now, progress) -> None:
    total = max(len(new) + len(changed), 1)
    done = 0
    for chunk in _chunks(history, BATCH):
        db.ticket_history.insert_many(chunk, ordered=False)
    for chunk in _chunks(new, BATCH):
        docs = [{**t, "_id": t["sr_number"], "first_upload": upload_id, "last_upload": upload_id,
                 "imported_at": now, "updated_at": now} for t in chunk]
        db.tickets.insert_many(docs, ordered=False)
        done += len(chunk)
        progress(done / total, f"stored {done:,} of {total:,} tickets")
    for chunk in _chunks(changed, BATCH):
        requests = [ReplaceOne({"_id": t["sr_number"]},
                               {**t, "_id": t["sr_number"],
                                "first_upload": old.get("first_upload", upload_id),
                                "last_upload": upload_id, "imported_at": now, "updated_at": now})
                    for t, old in chunk]
        db.tickets.bulk_write(requests, ordered=False)
        done += len(chunk)
        progress(done / total, f"stored {done:,} of {total:,} tickets")


def _record_agents(db: Database, tickets: Iterable[dict], now) -> None:
    """Each agent's teams seen and first/last seen, as the old system kept them."""
    teams: dict[str, set] = {}
    for ticket in tickets:
        if ticket.get("resolved_by"):
            teams.setdefault(ticket["resolved_by"], set()).add(ticket["team"])
    requests = [UpdateOne({"_id": name},
                          {"$addToSet": {"teams": {"$each": sorted(seen)}},
                           "$min": {"first_seen": now}, "$max": {"last_seen": now},
                           "$set": {"name": name}}, upsert=True)
                for name, seen in teams.items()]
    for chunk in _chunks(requests, BATCH):
        db.agents.bulk_write(chunk, ordered=False)


def _upload_record(upload_id, report: ImportReport, user: str, sha256: str, now, status: str) -> dict:
    record = report.as_dict()
    record.update({"_id": upload_id, "user": user, "at": now, "sha256": sha256,
                   "status": status})
    record["teams_other"] = [{"team_raw": k, "tickets": v} for k, v in report.teams_other.items()]
    return record


def recent_uploads(db: Database, limit: int = 50) -> list[dict]:
    return list(db.uploads.find({}, {"problems": 0, "rejected_rows": 0})
                .sort("at", DESCENDING).limit(limit))


# ---------------------------------------------------------------- single tickets

def get_ticket(db: Database, sr_number: str) -> dict | None:
    return db.tickets.find_one({"_id": sr_number})


def ticket_history(db: Database, sr_number: str) -> list[dict]:
    return list(db.ticket_history.find({"sr_number": sr_number}, {"_id": 0})
                .sort("at", DESCENDING))


def edit_ticket(db: Database, sr_number: str, values: dict, user: str) -> dict:
    """Change a ticket's file values by hand; derived fields and history follow."""
    old = db.tickets.find_one({"_id": sr_number})
    if old is None:
        raise KeyError(sr_number)
    ticket = {**old, **values}
    ticket.update(normalise.derive(ticket, get_settings(db)))
    ticket["content_hash"] = normalise.content_hash(ticket)
    entry = _history_entry(ticket, old, None, _now(), user, "edit")
    if not entry["changes"]:
        return {}
    db.ticket_history.insert_one(entry)
    ticket["updated_at"] = entry["at"]
    db.tickets.replace_one({"_id": sr_number}, ticket)
    bump_data_version(db)
    return entry["changes"]


def delete_ticket(db: Database, sr_number: str, user: str) -> bool:
    old = db.tickets.find_one_and_delete({"_id": sr_number})
    if old is None:
        return False
    db.ticket_history.insert_one({"sr_number": sr_number, "upload_id": None, "at": _now(),
                                  "user": user, "kind": "delete",
                                  "changes": {k: {"old": old.get(k), "new": None}
                                              for k in TRACKED_FIELDS if old.get(k) is not None}})
    bump_data_version(db)
    return True


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def ping(db: Database) -> bool:
    try:
        db.command("ping")
        return True
    except PyMongoError:
        return False
