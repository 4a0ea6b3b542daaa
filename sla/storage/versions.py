"""The data version and the users version, and the read model snapshot of each data version.

The data version changes exactly when stored data changes; caches key on it. It names its
snapshot, written before the version is bumped, so a reader never sees a version without its
snapshot.
"""

from __future__ import annotations

import pandas as pd
from pymongo import ReturnDocument
from pymongo.database import Database

from sla.analytics.readmodel import COLUMNS, Snapshot, with_aliases
from sla.storage import people, snapshots, uploads
from sla.storage.clock import now
from sla.storage.writelock import WriteLock

USERS_VERSION = "users_version"


def version_info(db: Database) -> dict:
    """The data version document: ``value`` (changes exactly when stored data changes) and
    ``snapshot``, the read model file of that version."""
    return db.meta.find_one({"_id": "data_version"}) or {"value": 0, "snapshot": None}


def versions(db: Database) -> dict:
    """The data version document and the users version, in one query (a page run's only
    database work when its figures are cached)."""
    found = {doc["_id"]: doc for doc in db.meta.find({"_id": {"$in": ["data_version",
                                                                      USERS_VERSION]}})}
    return {"data": found.get("data_version") or {"value": 0, "snapshot": None},
            "users": int((found.get(USERS_VERSION) or {}).get("value", 0))}


def bump_users_version(db: Database) -> None:
    """Users, roles or passwords changed: sessions look their user up again."""
    db.meta.update_one({"_id": USERS_VERSION}, {"$inc": {"value": 1}}, upsert=True)


def data_version(db: Database) -> int:
    """A number that changes exactly when stored data changes (caches key on it)."""
    return int(version_info(db)["value"])


def publish(db: Database, frame: pd.DataFrame | None = None,
            timeline: pd.DataFrame | None = None) -> int:
    """Make a new data version; with ``frame``, its read model snapshot, and with
    ``timeline``, new team timelines (else the version keeps the ones it had). Returns the
    version.

    The files are written first and named in the same update that bumps the version, so a
    reader never sees a version without its snapshot. The snapshot counts every alias of the
    agents directory as the person it was merged into.
    """
    change: dict = {"$inc": {"value": 1}, "$set": {"at": now()}}
    if frame is not None:
        frame = with_aliases(frame, people.aliases(db))
        change["$set"]["snapshot"] = snapshots.save(db, frame)
    if timeline is not None:
        change["$set"]["timeline"] = snapshots.save_timeline(db, timeline)
    doc = db.meta.find_one_and_update({"_id": "data_version"}, change, upsert=True,
                                      return_document=ReturnDocument.AFTER)
    if frame is not None:
        snapshots.prune(db, protected=_snapshots_in_use(db, doc))
        if timeline is None:
            timeline = snapshots.load_timeline(db, doc.get("timeline"))
        snapshots.CACHE.put(db, int(doc["value"]), frame, timeline)
    return int(doc["value"])


def _snapshots_in_use(db: Database, version: dict) -> set:
    """Read model files still named: the current ones and those of the recent imports (kept
    for comparing imports)."""
    named = {version.get("snapshot"), version.get("timeline")}
    named.update(upload["snapshot"] for upload in uploads.comparable_imports(db))
    return {file_id for file_id in named if file_id is not None}


def snapshot(db: Database, info: dict | None = None) -> Snapshot:
    """The read model of the current data version (loaded once per version per process).

    A store without a snapshot (made by an earlier release, or cut off by a crash) gets one
    built from the tickets collection, once, by whichever process asks first.
    """
    info = info or version_info(db)
    found = snapshots.CACHE.get(db, int(info["value"]), info.get("snapshot"),
                                info.get("timeline"))
    if found is not None:
        return found
    lock = WriteLock(db, "rebuilding the read model")
    if not lock.acquire(wait_s=0):  # a writer is at work: read the tickets, publish nothing
        return Snapshot.of(int(info["value"]), snapshots.scan_tickets(db),
                           snapshots.scan_timeline(db))
    try:
        base_frame(db, publish_missing=True)
    finally:
        lock.release()
    info = version_info(db)
    return snapshots.CACHE.get(db, int(info["value"]), info.get("snapshot"),
                               info.get("timeline"))


def base_frame(db: Database, publish_missing: bool) -> pd.DataFrame:
    """The current snapshot with content hashes, for writers (who hold the write lock)."""
    info = version_info(db)
    frame = None
    if info.get("snapshot") is not None:
        frame = snapshots.load_frame(db, info["snapshot"], COLUMNS)
    if frame is None:
        frame = snapshots.scan_tickets(db)
        if publish_missing:
            publish(db, frame, snapshots.scan_timeline(db))
    return frame


def current_timeline(db: Database) -> pd.DataFrame:
    """The team timelines of the current data version (empty when there are none)."""
    return snapshots.load_timeline(db, version_info(db).get("timeline"))
