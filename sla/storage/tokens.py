"""Personal API tokens: made for a user, sent as ``Authorization: Bearer …``, revocable.

A token reads ``sla_<id>_<secret>``: the id (8 hexadecimal characters) names it in lists and
in ``token remove``; the secret is 32 random bytes. The ``api_tokens`` collection keeps the
id, the owner and the SHA-256 digest of the whole token, never the token: it is shown once,
when it is made, and cannot be read back.

Why SHA-256 and not bcrypt (which the passwords use): bcrypt is slow on purpose, so that
guessing a human-chosen password from its hash takes years. A token's secret is 256 random
bits; no amount of guessing finds it, fast hash or slow, so the slowness would buy nothing
and cost every API request a quarter of a second. An unsalted digest can also be looked up
by an index, where bcrypt's salted hashes would have to be tried one by one.

A token carries no role of its own: each use looks its owner up, so the owner's role at
that moment applies, and the tokens of a removed user stop working at once. The owner is
matched by the user document's id, not only the name: a new user given a removed user's
name does not inherit the old tokens. Revoking keeps
the record (who, when made, last used, when revoked) and drops the digest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from sla.storage import clock, users

PREFIX = "sla_"
ID_BYTES = 4
SECRET_BYTES = 32
TOKEN_PATTERN = re.compile(r"sla_([0-9a-f]{8})_[A-Za-z0-9_-]{43}")
ID_PATTERN = re.compile(r"[0-9a-f]{8}")
MAX_LABEL = 80
LAST_USED_EVERY = dt.timedelta(minutes=1)  # how stale "last used" may get (one write a minute)
REFUSED = "The API token is missing, unknown or revoked; send Authorization: Bearer <token>."


class TokenError(ValueError):
    """A token action that cannot be done, or a token that is refused; one line."""


def ensure_indexes(db: Database) -> None:
    db.api_tokens.create_index("id", unique=True)
    db.api_tokens.create_index("digest", unique=True, sparse=True)
    db.api_tokens.create_index("username")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_token(db: Database, username: str, label: str = "", created_by: str = "cli") -> tuple[str, dict]:
    """A new token for ``username``: (the token, to be shown once; its record)."""
    user = users.get_user(db, username)
    if user is None:
        raise TokenError(f"no user {username}")
    label = " ".join((label or "").split())
    if len(label) > MAX_LABEL:
        raise TokenError(f"a token's name has at most {MAX_LABEL} characters")
    ensure_indexes(db)
    owner_id = db.users.find_one({"username": user["username"]}, {"_id": 1})["_id"]
    while True:
        token_id = secrets.token_hex(ID_BYTES)
        token = f"{PREFIX}{token_id}_{secrets.token_urlsafe(SECRET_BYTES)}"
        record = {"id": token_id, "username": user["username"], "user_id": owner_id,
                  "name": label,
                  "digest": digest(token), "created_at": clock.now(), "created_by": created_by,
                  "last_used_at": None, "revoked_at": None}
        try:
            db.api_tokens.insert_one(record)
        except DuplicateKeyError:  # an id drawn twice (one in four billion): draw again
            continue
        return token, public(record)


def public(record: dict) -> dict:
    """What may be shown of a token's record (no digest, no database id)."""
    return {k: v for k, v in record.items() if k not in ("_id", "digest", "user_id")}


def list_tokens(db: Database, username: str | None = None) -> list[dict]:
    """Every token (of ``username`` only, when given), newest first, revoked ones included."""
    query = {"username": users.normal_username(username)} if username else {}
    found = db.api_tokens.find(query, {"_id": 0, "digest": 0, "user_id": 0}).sort([("created_at", -1),
                                                                     ("id", 1)])
    return list(found)


def revoke(db: Database, id_or_user: str, by: str = "cli") -> list[str]:
    """Revoke the token with this id, else every live token of the user of this name; the
    ids revoked. TokenError when neither exists, or nothing is left to revoke."""
    text = (id_or_user or "").strip()
    if ID_PATTERN.fullmatch(text) and db.api_tokens.count_documents({"id": text}, limit=1):
        query = {"id": text}
    elif users.get_user(db, text) is not None or db.api_tokens.count_documents(
            {"username": users.normal_username(text)}, limit=1):
        query = {"username": users.normal_username(text)}
    else:
        raise TokenError(f"there is no token {text} and no user {text}")
    live = [t["id"] for t in db.api_tokens.find({**query, "revoked_at": None}, {"id": 1})]
    if not live:
        raise TokenError(f"{text} has no token left to revoke")
    db.api_tokens.update_many({"id": {"$in": live}},
                              {"$set": {"revoked_at": clock.now(), "revoked_by": by},
                               "$unset": {"digest": ""}})
    return live


def authenticate(db: Database, token: str | None) -> dict:
    """The owner of a live token: {"username", "role", "token_id"}; TokenError (REFUSED)
    when the token is malformed, unknown or revoked, or its owner no longer exists."""
    if not token or not TOKEN_PATTERN.fullmatch(token):
        raise TokenError(REFUSED)
    record = db.api_tokens.find_one({"digest": digest(token), "revoked_at": None})
    if record is None:
        raise TokenError(REFUSED)
    user = db.users.find_one({"username": record["username"]}, {"username": 1, "role": 1})
    if user is None or user["_id"] != record.get("user_id"):
        raise TokenError(REFUSED)
    _note_use(db, record)
    return {"username": user["username"], "role": user["role"], "token_id": record["id"]}


def _note_use(db: Database, record: dict) -> None:
    now = clock.now()
    last = record.get("last_used_at")
    if last is None or now - last >= LAST_USED_EVERY:
        db.api_tokens.update_one({"id": record["id"]}, {"$set": {"last_used_at": now}})

