"""The read model's files: each data version's snapshot (``sla.analytics.readmodel``) as
zstd Parquet in the GridFS bucket ``readmodel``, and the process cache that loads a snapshot
at most once per version.

The data version document in ``meta`` names the snapshot of its version, and both change in
one atomic update (``sla.storage.versions.publish``), so every app process, every replica and
the CLI see the same snapshot for the same version.
"""

from __future__ import annotations

import io
import threading

import gridfs
import pandas as pd
from bson import ObjectId
from pymongo.database import Database

from sla.analytics.readmodel import (
    COLUMNS,
    FORMAT,
    SOURCE_FIELDS,
    TIMELINE_COLUMNS,
    VIEW_COLUMNS,
    Snapshot,
    concat,
    empty_timeline,
    frame_from_tickets,
    timeline_from_tickets,
)

BUCKET = "readmodel"
KEEP_SNAPSHOTS = 3  # the newest few stay, so a reader a version behind still finds its own
SCAN_BATCH = 10_000


def scan_timeline(db: Database) -> pd.DataFrame:
    """The timelines rebuilt from the tickets collection (recovery only)."""
    found = db.tickets.find({"timeline.1": {"$exists": True}}, {"sr_number": 1, "timeline": 1})
    return timeline_from_tickets(found)


def save_timeline(db: Database, timeline: pd.DataFrame) -> ObjectId:
    """Write the timelines as a file of their own (most imports leave them as they are)."""
    buffer = io.BytesIO()
    timeline[list(TIMELINE_COLUMNS)].to_parquet(buffer, engine="pyarrow", compression="zstd",
                                                index=False)
    buffer.seek(0)
    bucket = gridfs.GridFSBucket(db, bucket_name=BUCKET)
    return bucket.upload_from_stream("timeline.parquet", buffer,
                                     metadata={"format": FORMAT, "rows": len(timeline),
                                               "kind": "timeline"})


def load_timeline(db: Database, file_id: ObjectId | None) -> pd.DataFrame:
    """The timelines file's frame; empty when there is none."""
    if file_id is None:
        return empty_timeline()
    frame = load_frame(db, file_id, TIMELINE_COLUMNS)
    return frame if frame is not None else empty_timeline()


def save(db: Database, frame: pd.DataFrame) -> ObjectId:
    """Write ``frame`` as a new snapshot file; its id goes into the data version document."""
    buffer = io.BytesIO()
    frame[list(COLUMNS)].to_parquet(buffer, engine="pyarrow", compression="zstd", index=False)
    buffer.seek(0)
    bucket = gridfs.GridFSBucket(db, bucket_name=BUCKET)
    return bucket.upload_from_stream("tickets.parquet", buffer,
                                     metadata={"format": FORMAT, "rows": len(frame)})


def load_frame(db: Database, file_id: ObjectId, columns=VIEW_COLUMNS) -> pd.DataFrame | None:
    """The snapshot file's frame (only ``columns``), or None when it is gone or outdated."""
    bucket = gridfs.GridFSBucket(db, bucket_name=BUCKET)
    try:
        stream = bucket.open_download_stream(file_id)
    except gridfs.errors.NoFile:
        return None
    if (stream.metadata or {}).get("format") != FORMAT:
        return None
    return pd.read_parquet(io.BytesIO(stream.read()), engine="pyarrow", columns=list(columns))


def prune(db: Database, keep: int = KEEP_SNAPSHOTS, protected: set = frozenset()) -> None:
    """Delete all but the newest ``keep`` files and the ``protected`` ones."""
    bucket = gridfs.GridFSBucket(db, bucket_name=BUCKET)
    files = db[f"{BUCKET}.files"].find({}, {"_id": 1}).sort("uploadDate", -1).skip(keep)
    for stale in [f for f in files if f["_id"] not in protected]:
        try:
            bucket.delete(stale["_id"])
        except gridfs.errors.NoFile:
            pass


def scan_tickets(db: Database) -> pd.DataFrame:
    """The snapshot rebuilt from the tickets collection (one full read; recovery only)."""
    projection = {name: 1 for name in SOURCE_FIELDS}
    parts, batch = [], []
    for ticket in db.tickets.find({}, projection, batch_size=SCAN_BATCH):
        batch.append(ticket)
        if len(batch) >= SCAN_BATCH:
            parts.append(frame_from_tickets(batch))
            batch = []
    parts.append(frame_from_tickets(batch))
    return concat(parts) if len(parts) > 1 else parts[0]


# ---------------------------------------------------------------- the process cache

class SnapshotCache:
    """Each database's current snapshot, loaded at most once per data version per process."""

    def __init__(self) -> None:
        self._snapshots: dict[tuple, Snapshot] = {}
        self._locks: dict[tuple, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, db: Database, version: int, file_id: ObjectId | None,
            timeline_id: ObjectId | None = None) -> Snapshot | None:
        """The snapshot of ``version`` (file ``file_id``, timelines ``timeline_id``); None when
        the file cannot be read."""
        key = (id(db.client), db.name)
        cached = self._snapshots.get(key)
        if cached is not None and cached.version == version:
            return cached
        with self._lock_for(key):
            cached = self._snapshots.get(key)
            if cached is not None and cached.version == version:
                return cached
            frame = load_frame(db, file_id) if file_id is not None else None
            if frame is None:
                return None
            snapshot = Snapshot.of(version, frame, load_timeline(db, timeline_id))
            self._snapshots[key] = snapshot
            return snapshot

    def put(self, db: Database, version: int, frame: pd.DataFrame,
            timeline: pd.DataFrame | None = None) -> None:
        """Keep the snapshot a writer of this process has just published (as it is: the
        views ignore its extra content hash column, and a copy would double the memory)."""
        self._snapshots[(id(db.client), db.name)] = Snapshot.of(version, frame, timeline)

    def clear(self) -> None:
        self._snapshots.clear()

    def _lock_for(self, key: tuple) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


CACHE = SnapshotCache()
