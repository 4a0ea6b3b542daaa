"""Users: bcrypt password hashes, roles and sessions (failed logins are counted per client by
``sla.storage.logins``).

Users live in the ``users`` collection so that every app process shares them. No default
user or password exists: the first admin is made with ``python -m sla user add NAME --role
admin`` or the one-time setup form shown while there is no user at all.

Each login starts a session whose id the browser keeps in its signed cookie; the user's
document keeps the ids' SHA-256 digests. A session lasts while its digest is there: logging
out removes it, and a password change or removing the user removes them all, so a
copied cookie stops working in every app process at its next run.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from functools import lru_cache

import bcrypt
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from sla.storage import clock, versions

ROLES = ("admin", "viewer")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_BYTES = 72  # bcrypt reads no further
# Per user; a login beyond them ends the oldest. A shared desk account may be open on many
# screens at once, and the digests stay small (200 × 43 characters).
MAX_SESSIONS = 200
USERNAME_PATTERN = re.compile(r"[a-z0-9_.@-]{2,64}")
HAD_USERS = "had_users"  # in meta: the first-admin form is for a store that never had a user
# A store made before logins were counted per client keeps these in user records; unused.
RETIRED_FIELDS = ("failed_logins", "locked_until")
LOGIN_REFUSED = "Wrong user name or password, or too many attempts from here for a while."


class UserError(ValueError):
    """A user action that cannot be done; the message is one line for the user."""


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def password_matches(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode(), hashed.encode())
    except ValueError:
        return False


def normal_username(username: str) -> str:
    """User names are compared in lower case (as the login widget sends them)."""
    return (username or "").strip().lower()


def check_new_user(username: str, password: str, role: str) -> None:
    if not USERNAME_PATTERN.fullmatch(normal_username(username)):
        raise UserError("a user name is 2-64 letters, digits or _ . @ -")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    check_password(password)


def check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise UserError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise UserError(f"a password can have at most {MAX_PASSWORD_BYTES} characters "
                        "(fewer with accented letters or emoji)")


def add_user(db: Database, username: str, password: str, role: str, name: str = "") -> None:
    check_new_user(username, password, role)
    username = normal_username(username)
    try:
        db.users.insert_one({"username": username, "name": name or username, "role": role,
                             "password": hash_password(password), "created_at": clock.now()})
    except DuplicateKeyError:
        raise UserError(f"user {username} exists already") from None
    db.meta.update_one({"_id": HAD_USERS}, {"$set": {"value": True}}, upsert=True)
    versions.bump_users_version(db)


def list_users(db: Database) -> list[dict]:
    hidden = {"_id": 0, "password": 0, "sessions": 0, **dict.fromkeys(RETIRED_FIELDS, 0)}
    return list(db.users.find({}, hidden).sort("username", 1))


def get_user(db: Database, username: str) -> dict | None:
    return db.users.find_one({"username": normal_username(username)}, {"_id": 0})


def remove_user(db: Database, username: str) -> None:
    user = get_user(db, username)
    if user is None:
        raise UserError(f"no user {username}")
    if user["role"] == "admin" and db.users.count_documents({"role": "admin"}) == 1:
        raise UserError("the last admin cannot be removed")
    db.users.delete_one({"username": user["username"]})
    versions.bump_users_version(db)


def set_password(db: Database, username: str, password: str) -> None:
    """A new password; it ends every session of the user."""
    check_password(password)
    result = db.users.update_one({"username": normal_username(username)},
                                 {"$set": {"password": hash_password(password),
                                           "sessions": []}})
    if not result.matched_count:
        raise UserError(f"no user {username}")
    versions.bump_users_version(db)


def set_role(db: Database, username: str, role: str) -> None:
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    user = get_user(db, username)
    if user is None:
        raise UserError(f"no user {username}")
    if user["role"] == "admin" and role != "admin" and \
            db.users.count_documents({"role": "admin"}) == 1:
        raise UserError("the last admin cannot lose the admin role")
    db.users.update_one({"username": user["username"]}, {"$set": {"role": role}})
    versions.bump_users_version(db)


def ever_had_users(db: Database) -> bool:
    """Whether a user was ever added to this store (a restore carries the mark along); asked
    when none is left."""
    return db.meta.count_documents({"_id": HAD_USERS}, limit=1) > 0


def has_users(db: Database) -> bool:
    return db.users.count_documents({}, limit=1) > 0


def admin_count(db: Database) -> int:
    return db.users.count_documents({"role": "admin"})


def start_session(db: Database, username: str) -> str:
    """Record a successful login and start a session; its id, for the browser's cookie."""
    session_id = secrets.token_urlsafe(32)
    db.users.update_one({"username": normal_username(username)},
                        {"$set": {"last_login": clock.now()},
                         "$push": {"sessions": {"$each": [_digest(session_id)],
                                                "$slice": -MAX_SESSIONS}}})
    versions.bump_users_version(db)  # other app processes must see the new session
    return session_id


def end_session(db: Database, username: str, session_id: str) -> None:
    """Log out: that session ends everywhere, the user's other sessions go on."""
    db.users.update_one({"username": normal_username(username)},
                        {"$pull": {"sessions": _digest(session_id)}})
    versions.bump_users_version(db)


def session_is_valid(user: dict | None, session_id: str | None) -> bool:
    """Whether ``session_id`` is a live session of ``user`` (a record from ``get_user``)."""
    return bool(user and session_id and _digest(session_id) in user.get("sessions", ()))


def _digest(session_id: str) -> str:
    """What the database keeps of a session id: reading the database is not enough to make
    a cookie."""
    return hashlib.sha256(session_id.encode()).hexdigest()


@lru_cache(maxsize=1)
def _unmatchable_hash() -> str:
    return hash_password(secrets.token_urlsafe(32))


def password_of(db: Database, username: str) -> str:
    """The user's password hash; one no password matches for a name that does not exist, so
    checking it takes as long as a real one."""
    user = db.users.find_one({"username": normal_username(username)}, {"password": 1})
    return user["password"] if user else _unmatchable_hash()


def credentials(db: Database) -> dict:
    """The users in streamlit-authenticator's credentials shape, without their hashes (the
    password is checked by ``sla.service.accounts.check_login``)."""
    return {"usernames": {u["username"]: {
        "name": u.get("name") or u["username"], "password": "", "roles": [u["role"]],
        "email": u.get("email", ""), "failed_login_attempts": 0, "logged_in": False}
        for u in db.users.find({}, {"_id": 0, "username": 1, "name": 1, "role": 1, "email": 1})}}
