"""Backups that work on every store: ``python -m sla backup FILE`` and ``restore FILE``.

An archive is a zip file written through the driver, so it needs no ``mongodump`` and works on
the embedded SecantusDB server as on any MongoDB, with the app's own least-privilege user:

- ``manifest.json``: ``format`` (``FORMAT``; a newer one is refused), the app version, the
  database, when it was written, and per collection its document count, byte size, SHA-256
  and indexes;
- ``manifest.sig``: an HMAC-SHA256 of the manifest with a key the archive does not carry
  (``signing_key``: the installation's secret, SLA_COOKIE_KEY or the key file in the data
  folder, or a key given with ``--key``), so an archive changed together with its manifest
  is refused;
- ``collections/<name>.bson``: the collection's documents as BSON, one after another, exactly
  as the server holds them (ObjectIds, dates and the GridFS chunks of the read model keep
  their types).

Every collection of the app database is in it (tickets, history, uploads, users, settings,
mappings, agents, meta and the GridFS bucket ``readmodel``), except the write lock.

A restore checks the whole archive first (signature, manifest, every member's size, count and
checksum, and what the documents are: users with a name, a role and a password hash, at least
one admin, tickets keyed by their SR number) and touches nothing when any of it is wrong. Then, holding the write lock, it loads every
collection into a temporary one beside it (``_restore_new.<name>``), and only when all are
loaded swaps them in with renames, keeping the replaced ones (``_restore_old.<name>``) until
the end: a failure at any step is undone, so a restore is whole or not at all. Finally the
data and users versions move past both the old and the archived ones, so every app process
reloads its figures and every session its user.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import struct
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bson import json_util
from bson.raw_bson import RawBSONDocument
from pymongo.database import Database
from pymongo.errors import PyMongoError

from sla.core import config
from sla.storage import versions, writelock
from sla.storage.archive import (
    FORMAT,
    KIND,
    MANIFEST,
    MEMBER_DIR,
    NEW_PREFIX,
    OLD_PREFIX,
    SIGNATURE,
    BackupError,
    check_restorable,
    documents,
    read_manifest,
    signature,
    signing_key,
)

__all__ = ["FORMAT", "KIND", "MANIFEST", "MEMBER_DIR", "BackupError", "read_manifest"]

log = logging.getLogger("sla")

META = "meta"
VERSION_IDS = ("data_version", versions.USERS_VERSION)
INSERT_BYTES = 8 * 1024 * 1024  # one insert_many stays well under the 48 MB message limit


@dataclass(frozen=True)
class Result:
    """What a backup wrote or a restore brought back."""

    path: Path
    collections: int
    documents: int
    created_at: str


# ---------------------------------------------------------------- backup

def backup(db: Database, path: Path, key: str | None = None) -> Result:
    """Write every collection of the app database to the archive ``path``, signed with
    ``signing_key(key)``.

    The write lock is held meanwhile, so no import or change is half in it. The archive is
    written under a temporary name and renamed when complete: an interrupted backup never
    leaves a file that looks like a good one.
    """
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    with writelock.write_lock(db, "a backup") as lock:
        try:
            manifest = _write_archive(db, partial, lock, signing_key(key))
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    documents = sum(entry["documents"] for entry in manifest["collections"].values())
    return Result(path, len(manifest["collections"]), documents, manifest["created_at"])


def app_collections(db: Database) -> list[str]:
    """The collections a backup holds: all of the app database but the server's own and a
    restore's temporary ones."""
    names = db.list_collection_names()
    return sorted(name for name in names
                  if not name.startswith(("system.", NEW_PREFIX, OLD_PREFIX)))


def _write_archive(db: Database, path: Path, lock: writelock.WriteLock, key: bytes) -> dict:
    manifest = {"format": FORMAT, "kind": KIND, "app_version": app_version(),
                "database": db.name, "created_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                "collections": {}}
    # Readable by its owner only: it holds password hashes and token digests.
    handle = os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")
    with handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name in app_collections(db):
            manifest["collections"][name] = _write_collection(db, name, archive)
            lock.refresh()
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2))
        archive.writestr(SIGNATURE, signature(manifest, key))
    return manifest


def _write_collection(db: Database, name: str, archive: zipfile.ZipFile) -> dict:
    """One collection as concatenated BSON; its manifest entry."""
    query = {"_id": {"$ne": writelock.LOCK_ID}} if name == META else {}
    digest, size, count = hashlib.sha256(), 0, 0
    with archive.open(MEMBER_DIR + name + ".bson", "w", force_zip64=True) as member:
        for batch in db[name].find_raw_batches(query):
            member.write(batch)
            digest.update(batch)
            size += len(batch)
            count += _count_documents(batch)
    return {"documents": count, "bytes": size, "sha256": digest.hexdigest(),
            "indexes": _index_specs(db, name)}


def _count_documents(batch: bytes) -> int:
    count, offset = 0, 0
    while offset < len(batch):
        offset += struct.unpack_from("<i", batch, offset)[0]
        count += 1
    return count


def _index_specs(db: Database, name: str) -> list[dict]:
    """The collection's indexes but ``_id``, as extended JSON (the key order is kept)."""
    specs = []
    for index in db[name].list_indexes():
        if index["name"] == "_id_":
            continue
        options = {k: v for k, v in index.items() if k not in ("v", "key", "ns")}
        specs.append(json.loads(json_util.dumps({"key": list(index["key"].items()), **options})))
    return specs


def app_version() -> str:
    """The commit the app runs from, when it runs from a git checkout; else "unknown"."""
    try:
        found = subprocess.run(["git", "-C", str(config.PROJECT_DIR), "describe", "--always",
                                "--dirty"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return found.stdout.strip() if found.returncode == 0 and found.stdout.strip() else "unknown"


# ---------------------------------------------------------------- restore

def restore(db: Database, path: Path, key: str | None = None) -> Result:
    """Replace every collection of the app database with the archive's, whole or not at all;
    ``key`` is the key the archive was signed with, when not this installation's."""
    path = Path(path)
    manifest = read_manifest(path, key)
    check_restorable(path, manifest)
    with writelock.write_lock(db, "a restore") as lock:
        _put_back_set_aside(db)
        _drop_leftovers(db)
        try:
            _load_all(db, path, manifest, lock)
        except BaseException:
            _drop_leftovers(db)
            raise
        _swap_in(db, list(manifest["collections"]))
        _drop_leftovers(db)
        versions.publish(db)
        versions.bump_users_version(db)
    documents = sum(entry["documents"] for entry in manifest["collections"].values())
    return Result(path, len(manifest["collections"]), documents, manifest.get("created_at", "?"))


def _load_all(db: Database, path: Path, manifest: dict, lock: writelock.WriteLock) -> None:
    """Every archived collection beside the current ones, and the new ``meta``."""
    try:
        with zipfile.ZipFile(path) as archive:
            for name, entry in manifest["collections"].items():
                _load_collection(db, archive, name, entry, lock)
        _prepare_meta(db, manifest)
    except (PyMongoError, zipfile.BadZipFile, ValueError, OSError) as exc:
        log.info("restore of %s failed while loading", path, exc_info=True)
        raise BackupError("the restore failed before anything was replaced, so the data is as "
                          f"it was (the cause: {_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


def _put_back_set_aside(db: Database) -> None:
    """Move back the collections a restore cut off while swapping had set aside (its undo
    failed too), so they are never dropped as leftovers: until this restore has loaded the
    whole archive they may be the only copy of the data as it was."""
    for name in db.list_collection_names():
        if name.startswith(OLD_PREFIX) and name != OLD_PREFIX + META:
            log.info("putting back %s, set aside by a restore that was cut off", name)
            db[name].rename(name[len(OLD_PREFIX):], dropTarget=True)


def _drop_leftovers(db: Database) -> None:
    """Drop a restore's temporary collections."""
    for name in db.list_collection_names():
        if name.startswith((NEW_PREFIX, OLD_PREFIX)):
            db.drop_collection(name)


def _load_collection(db: Database, archive: zipfile.ZipFile, name: str, entry: dict,
                     lock: writelock.WriteLock) -> None:
    """The archived collection as ``_restore_new.<name>``, with its indexes."""
    target = db.create_collection(NEW_PREFIX + name)
    batch, size = [], 0
    for document in documents(archive, name):
        batch.append(RawBSONDocument(document))
        size += len(document)
        if size >= INSERT_BYTES:
            target.insert_many(batch, ordered=False)
            lock.refresh()
            batch, size = [], 0
    if batch:
        target.insert_many(batch, ordered=False)
    for spec in entry.get("indexes", []):
        spec = json_util.loads(json.dumps(spec))
        key = [(field, direction) for field, direction in spec.pop("key")]
        target.create_index(key, **spec)
    loaded = target.count_documents({})
    if loaded != entry["documents"]:
        raise BackupError(f"the restore loaded {loaded} of the {entry['documents']} documents "
                          f"of {name}; nothing was changed")


def _prepare_meta(db: Database, manifest: dict) -> None:
    """The new ``meta``: the archive's documents, the write lock this restore holds (so it
    survives the swap), and version numbers no lower than the current ones (``restore`` then
    moves them on, so no process mistakes the restored data for a version it has cached)."""
    new_meta = db[NEW_PREFIX + META]
    if META not in manifest["collections"]:
        db.create_collection(NEW_PREFIX + META)
    for version_id in VERSION_IDS:
        current = int((db.meta.find_one({"_id": version_id}) or {}).get("value", 0))
        archived = int((new_meta.find_one({"_id": version_id}) or {}).get("value", 0))
        new_meta.update_one({"_id": version_id}, {"$set": {"value": max(current, archived)}},
                            upsert=True)
    held = db.meta.find_one({"_id": writelock.LOCK_ID})
    if held is not None:
        new_meta.replace_one({"_id": writelock.LOCK_ID}, held, upsert=True)
    old_meta = db.create_collection(OLD_PREFIX + META)
    current = list(db.meta.find({}))
    if current:
        old_meta.insert_many(current)


def _swap_in(db: Database, archived: list[str]) -> None:
    """Rename the loaded collections into place, undoing every step done when one fails.

    ``meta`` holds the write lock, so it is never absent: it is replaced by one atomic rename
    over it, last (its copy for the undo was made by ``_prepare_meta``). Every other current
    collection is moved aside first, and dropped with the leftovers once all are in.
    """
    done: list[tuple[str, str]] = []  # (what, collection) in the order done
    try:
        for name in app_collections(db):
            if name != META:
                db[name].rename(OLD_PREFIX + name)
                done.append(("aside", name))
        for name in sorted(set(archived) - {META}):
            db[NEW_PREFIX + name].rename(name, dropTarget=True)
            done.append(("in", name))
        db[NEW_PREFIX + META].rename(META, dropTarget=True)
    except PyMongoError as exc:
        log.info("restore failed while swapping collections; undoing %s", done, exc_info=True)
        try:
            _undo(db, done)
        except PyMongoError:
            log.info("undoing the swap failed; the replaced collections are kept as %s*",
                     OLD_PREFIX, exc_info=True)
            raise BackupError("the restore was cut off while swapping collections in; run it "
                              "again to complete it") from None
        _drop_leftovers(db)
        raise BackupError("the restore failed and was undone, so the data is as it was (the "
                          f"database said: {_first_line(exc)})") from None


def _undo(db: Database, done: list[tuple[str, str]]) -> None:
    for what, name in reversed(done):
        if what == "aside":
            db[OLD_PREFIX + name].rename(name, dropTarget=True)
        elif name == META:
            db[OLD_PREFIX + META].rename(META, dropTarget=True)
        else:
            db.drop_collection(name)
