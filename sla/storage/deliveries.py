"""What was sent, to whom and when (``deliveries``), and the scheduler's lease (in ``meta``).

A delivery is queued with its whole message, then claimed by one sender at a time (its status
moves from queued or retrying to sending in one atomic update), then marked sent, or retrying
with a next try after a back-off, or failed for good; each try's error is kept. The lease is
one document that a scheduler holds for a while and renews between subscriptions; another scheduler that finds it
held by someone else does not run its pass, so two never send at once. A claimed delivery
whose sender was stopped mid-send is claimed again once its claim has run out.
"""

from __future__ import annotations

import datetime as dt

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

COLLECTION = "deliveries"
LEASE_ID = "alerts_lease"
WAITING = ("queued", "retrying")
CLAIM = dt.timedelta(minutes=10)  # a send takes seconds; a claim older than this was cut off


def queue(db: Database, subscription: dict, message: dict, at: dt.datetime) -> ObjectId:
    """Queue a message of ``subscription`` for sending now."""
    target = subscription.get("email") or subscription.get("webhook")
    return db[COLLECTION].insert_one({
        "subscription": subscription["_id"], "kind": subscription["kind"],
        "channel": "email" if subscription.get("email") else "webhook", "to": target,
        "message": message, "status": "queued", "attempts": 0, "queued_at": at,
        "next_try": at, "errors": []}).inserted_id


def record_failure(db: Database, subscription: dict, reason: str, at: dt.datetime) -> None:
    """A message that could not even be made (its view is gone, its rule is wrong), shown
    with the deliveries."""
    db[COLLECTION].insert_one({
        "subscription": subscription["_id"], "kind": subscription["kind"],
        "channel": "email" if subscription.get("email") else "webhook",
        "to": subscription.get("email") or subscription.get("webhook"), "message": None,
        "status": "failed", "attempts": 0, "queued_at": at, "next_try": None,
        "errors": [{"at": at, "error": reason}]})


def claim_due(db: Database, at: dt.datetime, delivery_id: ObjectId | None = None) -> dict | None:
    """The oldest delivery due at ``at`` (or the one ``delivery_id`` names), now marked as
    being sent until ``at + CLAIM`` (None: nothing due). A claim its sender never finished (the
    process was stopped mid-send) is due again once it has run out."""
    db[COLLECTION].create_index([("status", ASCENDING), ("next_try", ASCENDING)])
    due = {"$or": [{"status": {"$in": list(WAITING)}, "next_try": {"$lte": at}},
                   {"status": "sending", "claimed_until": {"$lte": at}}]}
    if delivery_id is not None:
        due = {"_id": delivery_id, "status": {"$in": [*WAITING, "sending"]}}
    return db[COLLECTION].find_one_and_update(
        due, {"$set": {"status": "sending", "claimed_until": at + CLAIM},
              "$inc": {"attempts": 1}},
        sort=[("next_try", ASCENDING), ("_id", ASCENDING)], return_document=ReturnDocument.AFTER)


def cancel_waiting(db: Database, subscription_id: str, at: dt.datetime) -> None:
    """The deliveries of an ended subscription not sent yet are sent no more."""
    db[COLLECTION].update_many({"subscription": subscription_id,
                                "status": {"$in": [*WAITING, "sending"]}},
                               {"$set": {"status": "cancelled", "next_try": None,
                                         "cancelled_at": at}})


def mark_sent(db: Database, delivery_id: ObjectId, at: dt.datetime) -> None:
    db[COLLECTION].update_one({"_id": delivery_id},
                              {"$set": {"status": "sent", "sent_at": at, "next_try": None}})


def mark_failed(db: Database, delivery_id: ObjectId, error: str, at: dt.datetime,
                next_try: dt.datetime | None) -> None:
    """A try that failed: retried at ``next_try``, or failed for good (None)."""
    db[COLLECTION].update_one({"_id": delivery_id}, {
        "$set": {"status": "retrying" if next_try else "failed", "next_try": next_try},
        "$push": {"errors": {"at": at, "error": error}}})


def recent(db: Database, limit: int = 200) -> list[dict]:
    """The newest deliveries first."""
    return list(db[COLLECTION].find({}, {"message.html": 0}).sort(
        [("queued_at", DESCENDING), ("_id", DESCENDING)]).limit(limit))


def take_lease(db: Database, owner: str, at: dt.datetime, hold: dt.timedelta) -> bool:
    """Hold the scheduler's lease until ``at + hold`` when it is free, expired or ours."""
    until = at + hold
    taken = db.meta.find_one_and_update(
        {"_id": LEASE_ID, "$or": [{"expires": {"$lte": at}}, {"owner": owner}]},
        {"$set": {"owner": owner, "expires": until}})
    if taken is not None:
        return True
    try:
        db.meta.insert_one({"_id": LEASE_ID, "owner": owner, "expires": until})
        return True
    except DuplicateKeyError:
        return False


def drop_lease(db: Database, owner: str) -> None:
    db.meta.delete_one({"_id": LEASE_ID, "owner": owner})
