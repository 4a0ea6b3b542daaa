"""Alert and digest subscriptions (``subscriptions``), and the tickets each has reported
(``alert_seen``: one document per subscription and reason, its SR numbers in one array, so
that no ticket is reported twice for the same reason; a pass adds to it only if nobody else
did since it read it, so two racing passes cannot both report a ticket).

A subscription reads: ``_id`` (8 hexadecimal characters, what ``alerts remove`` takes),
``kind`` (at-risk, breached, digest, after-import), ``email`` or ``webhook``, ``view`` (a saved
view's name, None: the whole desk) and ``owner`` (whose view of that name; None: a shared
one), ``within_hours`` (at-risk), ``schedule`` and ``zone`` (digest), ``next_due`` (digest),
``last_import`` (after-import: the newest import already told), who made it and when.
"""

from __future__ import annotations

import secrets

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from sla.storage import clock

COLLECTION = "subscriptions"
SEEN = "alert_seen"


def add(db: Database, values: dict, by: str) -> dict:
    """Store a new subscription (its id made here); the stored document."""
    document = {"_id": secrets.token_hex(4), **values, "created_at": clock.now(),
                "created_by": by}
    db[COLLECTION].insert_one(document)
    return document


def every(db: Database, made_by: str | None = None) -> list[dict]:
    """Every subscription (``made_by``: those that user made), oldest first."""
    return list(db[COLLECTION].find({} if made_by is None else {"created_by": made_by})
                .sort([("created_at", 1), ("_id", 1)]))


def one(db: Database, subscription_id: str) -> dict | None:
    return db[COLLECTION].find_one({"_id": subscription_id})


def update(db: Database, subscription_id: str, values: dict) -> None:
    db[COLLECTION].update_one({"_id": subscription_id}, {"$set": values})


def remove(db: Database, subscription_id: str) -> bool:
    """Forget a subscription and what it reported; False when there was none."""
    gone = db[COLLECTION].delete_one({"_id": subscription_id}).deleted_count == 1
    if gone:
        forget_reported(db, subscription_id)
    return gone


def claim_new(db: Database, subscription_id: str, reason: str, tickets: list[str]) -> list[str]:
    """Of ``tickets`` (every ticket the reason holds for now), the ones not yet reported by
    the subscription for ``reason``, now marked reported (in the order given). What is kept is
    pruned to ``tickets``: a ticket that no longer qualifies is forgotten, so the document
    stays the size of the current list. A ticket another pass claimed first is left out."""
    key = f"{subscription_id}\x00{reason}"
    for _ in range(5):
        held = db[SEEN].find_one({"_id": key}, {"tickets": 1, "version": 1}) or {}
        known = set(held.get("tickets", ()))
        current = list(dict.fromkeys(tickets))
        fresh = [sr for sr in current if sr not in known]
        kept = [sr for sr in current if sr in known] + fresh
        if not fresh and len(kept) == len(known):
            return []
        try:
            done = db[SEEN].update_one(
                {"_id": key, "version": held.get("version", 0)},
                {"$set": {"tickets": kept, "subscription": subscription_id, "at": clock.now()},
                 "$inc": {"version": 1}}, upsert=not held)
        except DuplicateKeyError:  # another pass made the document first: read it again
            continue
        if done.modified_count or done.upserted_id is not None:
            return fresh
    return []  # another pass keeps changing it: that pass reports them


def update_if(db: Database, subscription_id: str, expected: dict, values: dict) -> bool:
    """Set ``values`` only while the subscription still holds ``expected`` (a pass moving a
    digest's next time on, or the import it told about); False when another pass did first."""
    done = db[COLLECTION].update_one({"_id": subscription_id, **expected}, {"$set": values})
    return done.modified_count == 1


def forget_reported(db: Database, subscription_id: str) -> None:
    db[SEEN].delete_many({"subscription": subscription_id})
