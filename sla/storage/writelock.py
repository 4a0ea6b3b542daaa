"""One writer at a time across every process: the write lock, a document in ``meta`` that
expires.

Imports, Settings changes, edits and deletes hold it while they write tickets and publish the
read model, so the snapshot and the data version move together.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from contextlib import contextmanager

from bson import ObjectId
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, PyMongoError

from sla.core import config
from sla.storage.clock import now
from sla.storage.connection import StoreError

LOCK_ID = "write_lock"
# A short lease, renewed every HEARTBEAT_S while the holder lives: a holder that died on
# another machine, or that lost the store and could not release the lock, frees it then.
LOCK_TTL = dt.timedelta(seconds=60)
HEARTBEAT_S = 10.0
log = logging.getLogger("sla")


class Busy(StoreError):
    """Another import or change is being written; the message says so in one line."""


class WriteLock:
    """The lock as held by one writer (``owner``), for ``what`` it is writing."""

    def __init__(self, db: Database, what: str) -> None:
        self.db, self.what = db, what
        self.owner = ObjectId()

    def acquire(self, wait_s: float) -> bool:
        deadline = time.monotonic() + wait_s
        while True:
            if self._try():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)

    def _try(self) -> bool:
        at = now()
        document = {"owner": self.owner, "what": self.what, "host": socket.gethostname(),
                    "pid": os.getpid(), "at": at, "expires": at + LOCK_TTL}
        try:
            self.db.meta.insert_one({"_id": LOCK_ID, **document})
            return True
        except DuplicateKeyError:
            holder = self.db.meta.find_one({"_id": LOCK_ID}) or {}
            if not _holder_is_gone(holder, at):
                return False
            taken = self.db.meta.find_one_and_update(
                {"_id": LOCK_ID, "owner": holder.get("owner")}, {"$set": document})
            return taken is not None

    def refresh(self) -> None:
        """Push the expiry on; long imports call this between batches."""
        self.db.meta.update_one({"_id": LOCK_ID, "owner": self.owner},
                                {"$set": {"expires": now() + LOCK_TTL}})

    def release(self) -> None:
        self.db.meta.delete_one({"_id": LOCK_ID, "owner": self.owner})


class _Heartbeat:
    """Renews a held lock's lease every HEARTBEAT_S in a thread of its own, so a long step
    that does not call ``refresh`` keeps it, and a holder that stops living lets it go."""

    def __init__(self, lock: WriteLock) -> None:
        self._lock, self._stop = lock, threading.Event()
        self._thread = threading.Thread(target=self._beat, name="sla-lock-heartbeat",
                                        daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            try:
                self._lock.refresh()
            except PyMongoError:
                log.info("the write lock's lease could not be renewed", exc_info=True)


def is_held(db: Database) -> bool:
    """Whether a live writer holds the lock now."""
    holder = db.meta.find_one({"_id": LOCK_ID})
    return holder is not None and not _holder_is_gone(holder, now())


def _holder_is_gone(holder: dict, at: dt.datetime) -> bool:
    """The lock's holder let it expire, or was a process of this machine that has died
    (killed in the middle of an import, say)."""
    if holder.get("expires") is None or holder["expires"] < at:
        return True
    if holder.get("host") != socket.gethostname() or not holder.get("pid"):
        return False
    try:
        os.kill(holder["pid"], 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@contextmanager
def write_lock(db: Database, what: str, wait_s: float | None = None):
    """Hold the write lock for the block, waiting ``wait_s`` (SLA_LOCK_WAIT_S) for it."""
    lock = WriteLock(db, what)
    if not lock.acquire(config.number("SLA_LOCK_WAIT_S") if wait_s is None else wait_s):
        holder = db.meta.find_one({"_id": LOCK_ID}) or {}
        raise Busy(f"another change ({holder.get('what', 'an import')}) is being written; "
                   "try again when it has finished")
    try:
        with _Heartbeat(lock):
            yield lock
    finally:
        try:
            lock.release()
        except PyMongoError:  # the store is away: the lease ends by itself within LOCK_TTL
            log.info("the write lock could not be released", exc_info=True)
