"""The files a watched folder held that were imported (``watched_files``), so that each is
imported once, also across restarts: one record per folder and file name, with the size, the
modification time and the content's SHA-256 of the version imported last."""

from __future__ import annotations

from pymongo.database import Database

from sla.storage import clock

COLLECTION = "watched_files"


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
