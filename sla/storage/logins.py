"""Login attempts, counted in the database so that every app process shares the counts.

A count belongs to a key (a user name asked for from one client address, or a client
address whatever name it asks for) and to a window of ``WINDOW`` that starts with the first
attempt. Counting is one atomic update that returns the new count, so attempts sent at the
same moment each get their own number and no burst slips past the limit.
"""

from __future__ import annotations

import datetime as dt

from pymongo import ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from sla.storage import clock

WINDOW = dt.timedelta(minutes=15)


def user_key(username: str, address: str) -> str:
    return f"user {username} from {address}"


def address_key(address: str) -> str:
    return f"from {address}"


def count_attempt(db: Database, key: str, limit: int, username: str | None,
                  address: str) -> bool:
    """Count one attempt under ``key``; whether it is within ``limit`` in the current window."""
    now = clock.now()
    fresh = {"attempts": 1, "since": now, "username": username, "address": address}
    for _ in range(3):  # a window another attempt has just started or ended: count again
        counted = db.login_attempts.find_one_and_update(
            {"_id": key, "since": {"$gt": now - WINDOW}}, {"$inc": {"attempts": 1}},
            return_document=ReturnDocument.AFTER)
        if counted is not None:
            return counted["attempts"] <= limit
        if db.login_attempts.find_one_and_update(
                {"_id": key, "since": {"$lte": now - WINDOW}}, {"$set": fresh}) is not None:
            return True
        try:
            db.login_attempts.insert_one({"_id": key, **fresh})
        except DuplicateKeyError:
            continue
        _forget_old_windows(db, now)
        return True
    return False


def forgive(db: Database, key: str) -> None:
    """Take back the count of a key (after a successful login)."""
    db.login_attempts.delete_one({"_id": key})


def uncount(db: Database, key: str) -> None:
    """Take one attempt off a key's count (a client's successful login is not a failure)."""
    db.login_attempts.update_one({"_id": key, "attempts": {"$gt": 0}}, {"$inc": {"attempts": -1}})


def refused(db: Database, limit_per_user: int, limit_per_address: int) -> dict[str, list[str]]:
    """The addresses each user name is refused from now, by user name ("" for addresses
    refused whatever name they ask for)."""
    now = clock.now()
    found: dict[str, list[str]] = {}
    for entry in db.login_attempts.find({"since": {"$gt": now - WINDOW}}):
        limit = limit_per_address if entry.get("username") is None else limit_per_user
        if entry["attempts"] >= limit:  # the next attempt is refused
            found.setdefault(entry.get("username") or "", []).append(entry["address"])
    return {name: sorted(addresses) for name, addresses in found.items()}


def forgive_user(db: Database, username: str) -> None:
    """End every refusal of a user name, and of the addresses it was refused from."""
    addresses = db.login_attempts.distinct("address", {"username": username})
    db.login_attempts.delete_many({"username": username})
    db.login_attempts.delete_many({"_id": {"$in": [address_key(a) for a in addresses]}})


def _forget_old_windows(db: Database, now: dt.datetime) -> None:
    db.login_attempts.delete_many({"since": {"$lte": now - WINDOW}})
