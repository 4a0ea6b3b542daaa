"""The files a watched folder held that were imported (``watched_files``), so that each is
imported once, also across restarts: one record per folder and file name, with the size, the
modification time and the content's SHA-256 of the version imported last. And each watched
folder's state (``watched_folders``): when it was last looked at, what stopped the last look,
the last file that failed, for the Home page."""

from __future__ import annotations

from pymongo.database import Database

from sla.storage import clock

COLLECTION = "watched_files"
FOLDERS = "watched_folders"


def _key(folder: str, name: str) -> str:
    return f"{folder}\x00{name}"


def last_taken(db: Database, folder: str, name: str) -> dict | None:
    """The record of the version of ``name`` imported last from ``folder`` (None: never)."""
    return db[COLLECTION].find_one({"_id": _key(folder, name)})


def remember(db: Database, folder: str, name: str, size: int, mtime_ns: int, sha256: str,
             import_id: str | None) -> None:
    """Record the version of ``name`` just imported (or seen to hold what was imported)."""
    db[COLLECTION].update_one(
        {"_id": _key(folder, name)},
        {"$set": {"folder": folder, "name": name, "size": size, "mtime_ns": mtime_ns,
                  "sha256": sha256, "import_id": import_id, "at": clock.now()}}, upsert=True)


def record_look(db: Database, folder: str, every_s: float, problem: str | None) -> None:
    """A look at ``folder`` (repeated every ``every_s`` seconds; 0: once) ended, well or with
    ``problem``; since when the problem stands is kept while it stays the same."""
    now = clock.now()
    db[FOLDERS].update_one({"_id": folder, "problem": {"$ne": problem}},
                           {"$set": {"problem_since": now if problem else None}})
    db[FOLDERS].update_one({"_id": folder},
                           {"$set": {"looked_at": now, "every_s": every_s, "problem": problem},
                            "$setOnInsert": {"problem_since": now if problem else None}},
                           upsert=True)


def record_failed_file(db: Database, folder: str, name: str, reason: str) -> None:
    db[FOLDERS].update_one({"_id": folder}, {"$set": {"failed": {
        "name": name, "reason": reason, "at": clock.now()}}}, upsert=True)


def folders(db: Database) -> list[dict]:
    """Every watched folder's state, the most recently looked at first."""
    return list(db[FOLDERS].find().sort("looked_at", -1))
