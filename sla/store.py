"""MongoDB storage: connection (MONGO_URI or the embedded server), indexes, imports, history,
settings and the data version.

Collections: ``tickets`` (one document per SR, ``_id`` = sr_number), ``ticket_history``
(per import or edit, the fields that changed and their old values), ``uploads`` (an audit
record per import), ``agents``, ``settings``, ``users``, ``mappings`` (the column mapping an
admin chose for a header layout, keyed by ``read.layout_fingerprint``), ``meta`` (the data
version, which names the read model snapshot of that version, and the write lock) and the
GridFS bucket ``readmodel`` (see ``sla.readmodel``).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import logging
import os
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from contextlib import contextmanager

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, MongoClient, ReplaceOne, ReturnDocument, UpdateOne
from pymongo.database import Database
from pymongo.errors import (BulkWriteError, DuplicateKeyError, InvalidName, OperationFailure,
                            PyMongoError)

from sla import config, display, embedded, fields, normalise, presets, read, readmodel, rules
from sla.normalise import ImportReport

log = logging.getLogger("sla")
Progress = Callable[[float, str], None]
BATCH = 5000  # documents per bulk write: large enough to amortise a round trip
# $in over thousands of keys is slow on some servers (quadratic on SecantusDB), so small files
# look their SRs up in chunks and large ones read the stored hashes in one scan.
LOOKUP_CHUNK = 100
LOOKUP_SCAN_RATIO = 20
DERIVED_FIELDS = ("status_class", "team", "priority", "response_sla", "resolution_sla")
# What a ticket's history records; not "preset" (which tool's export it came from): a file
# read by a preset for the first time changes no value a user would call a change.
TRACKED_FIELDS = tuple(f for f in normalise.FILE_FIELDS[1:] if f != "preset") + DERIVED_FIELDS
_indexed: set[tuple[int, str]] = set()


class StoreError(RuntimeError):
    """The database cannot be used; the message is one friendly line."""


def connect(uri: str | None = None, db_name: str | None = None,
            timeout_ms: int = 5000) -> Database:
    """The app's database on MONGO_URI, or on the embedded server when no URI is set."""
    uri = uri or config.get("MONGO_URI")
    try:
        if not uri:
            uri = embedded.ensure_server(config.data_dir())
        client = MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms,
                             appname="sla-tracker")
        database = client[db_name or config.get("SLA_DB")]
        database.command("ping")
        ensure_indexes(database)
    except embedded.EmbeddedError as exc:
        raise StoreError(str(exc)) from None
    except OSError as exc:  # the embedded server's data folder cannot be made or written
        raise StoreError(f"the data folder {config.data_dir()} cannot be used "
                         f"({(exc.strerror or str(exc)).lower()}); set SLA_DATA_DIR to a "
                         "folder this user may write") from None
    except OperationFailure as exc:
        if exc.code in (18, 13):
            raise StoreError("the database refused the login in MONGO_URI (authentication "
                             "failed or not authorised)") from None
        raise StoreError(f"the database refused a command: {exc.details.get('errmsg', exc)}") from None
    except InvalidName:
        raise StoreError(f"SLA_DB {db_name or config.get('SLA_DB')!r} is not a valid database "
                         "name (use letters, digits, _ and -)") from None
    except PyMongoError as exc:
        log.info("cannot reach the database %s: %s", describe_uri(uri), exc)
        raise StoreError(f"the database at {describe_uri(uri)} is unreachable") from None
    return database


def describe_uri(uri: str | None) -> str:
    """A URI without its password, for messages."""
    if not uri:
        return "embedded"
    head, _, tail = uri.rpartition("@")
    if not head:
        return uri.split("?")[0]
    scheme, _, credentials = head.partition("://")
    return f"{scheme}://{credentials.split(':')[0]}:***@{tail.split('?')[0]}"


def ensure_indexes(db: Database) -> None:
    """The indexes queries still use; the tickets are read through the read model, so the
    tickets collection keeps only ``_id`` (the SR number) and imports pay no index upkeep."""
    key = (id(db.client), db.name)
    if key in _indexed:
        return
    existing = {index["name"] for index in db.tickets.list_indexes()}
    for name in sorted(existing & OBSOLETE_TICKET_INDEXES):
        db.tickets.drop_index(name)
    db.ticket_history.create_index([("sr_number", ASCENDING), ("at", DESCENDING)])
    db.ticket_history.create_index("upload_id")
    db.uploads.create_index([("at", DESCENDING)])
    db.users.create_index("username", unique=True)
    _indexed.add(key)


# Indexes of earlier releases: every ticket query now reads the read model instead.
OBSOLETE_TICKET_INDEXES = {"sr_number_1", "created_1", "team_1", "priority_1", "resolved_by_1",
                           "status_class_1", "status_class_1_team_1"}
REQUIRED_INDEXES = {"ticket_history": ["sr_number_1_at_-1", "upload_id_1"],
                    "users": ["username_1"]}


# ---------------------------------------------------------------- the write lock

LOCK_ID = "write_lock"
LOCK_TTL = dt.timedelta(minutes=5)  # a holder on another machine that died frees it then


class Busy(StoreError):
    """Another import or change is being written; the message says so in one line."""


class WriteLock:
    """One writer at a time across every process: a document in ``meta`` that expires.

    Imports, Settings changes, edits and deletes hold it while they write tickets and
    publish the read model, so the snapshot and the data version move together.
    """

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
        now = _now()
        document = {"owner": self.owner, "what": self.what, "host": socket.gethostname(),
                    "pid": os.getpid(), "at": now, "expires": now + LOCK_TTL}
        try:
            self.db.meta.insert_one({"_id": LOCK_ID, **document})
            return True
        except DuplicateKeyError:
            holder = self.db.meta.find_one({"_id": LOCK_ID}) or {}
            if not _holder_is_gone(holder, now):
                return False
            taken = self.db.meta.find_one_and_update(
                {"_id": LOCK_ID, "owner": holder.get("owner")}, {"$set": document})
            return taken is not None

    def refresh(self) -> None:
        """Push the expiry on; long imports call this between batches."""
        self.db.meta.update_one({"_id": LOCK_ID, "owner": self.owner},
                                {"$set": {"expires": _now() + LOCK_TTL}})

    def release(self) -> None:
        self.db.meta.delete_one({"_id": LOCK_ID, "owner": self.owner})


def _holder_is_gone(holder: dict, now: dt.datetime) -> bool:
    """The lock's holder let it expire, or was a process of this machine that has died
    (killed in the middle of an import, say)."""
    if holder.get("expires") is None or holder["expires"] < now:
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
        yield lock
    finally:
        lock.release()


# ---------------------------------------------------------------- data version and read model

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


USERS_VERSION = "users_version"


def bump_users_version(db: Database) -> None:
    """Users, roles or passwords changed: sessions look their user up again."""
    db.meta.update_one({"_id": USERS_VERSION}, {"$inc": {"value": 1}}, upsert=True)


def data_version(db: Database) -> int:
    """A number that changes exactly when stored data changes (caches key on it)."""
    return int(version_info(db)["value"])


def publish(db: Database, frame=None, timeline=None) -> int:
    """Make a new data version; with ``frame``, its read model snapshot, and with
    ``timeline``, new team timelines (else the version keeps the ones it had). Returns the
    version.

    The files are written first and named in the same update that bumps the version, so a
    reader never sees a version without its snapshot.
    """
    change: dict = {"$inc": {"value": 1}, "$set": {"at": _now()}}
    if frame is not None:
        change["$set"]["snapshot"] = readmodel.save(db, frame)
    if timeline is not None:
        change["$set"]["timeline"] = readmodel.save_timeline(db, timeline)
    doc = db.meta.find_one_and_update({"_id": "data_version"}, change, upsert=True,
                                      return_document=ReturnDocument.AFTER)
    if frame is not None:
        readmodel.prune(db, protected=_snapshots_in_use(db, doc))
        if timeline is None:
            timeline = readmodel.load_timeline(db, doc.get("timeline"))
        readmodel.CACHE.put(db, int(doc["value"]), frame, timeline)
    return int(doc["value"])


def _snapshots_in_use(db: Database, version: dict) -> set:
    """Read model files still named: the current ones and those of the recent imports (kept
    for ``sla.changes``)."""
    from sla.changes import comparable_imports  # it reads snapshots through this module

    named = {version.get("snapshot"), version.get("timeline")}
    named.update(upload["snapshot"] for upload in comparable_imports(db))
    return {file_id for file_id in named if file_id is not None}


def snapshot(db: Database, info: dict | None = None) -> readmodel.Snapshot:
    """The read model of the current data version (loaded once per version per process).

    A store without a snapshot (made by an earlier release, or cut off by a crash) gets one
    built from the tickets collection, once, by whichever process asks first.
    """
    info = info or version_info(db)
    found = readmodel.CACHE.get(db, int(info["value"]), info.get("snapshot"),
                                info.get("timeline"))
    if found is not None:
        return found
    lock = WriteLock(db, "rebuilding the read model")
    if not lock.acquire(wait_s=0):  # a writer is at work: read the tickets, publish nothing
        return readmodel.Snapshot.of(int(info["value"]), readmodel.scan_tickets(db),
                                     readmodel.scan_timeline(db))
    try:
        _base_frame(db, publish_missing=True)
    finally:
        lock.release()
    info = version_info(db)
    return readmodel.CACHE.get(db, int(info["value"]), info.get("snapshot"),
                               info.get("timeline"))


def _base_frame(db: Database, publish_missing: bool):
    """The current snapshot with content hashes, for writers (who hold the write lock)."""
    info = version_info(db)
    frame = None
    if info.get("snapshot") is not None:
        frame = readmodel.load_frame(db, info["snapshot"], readmodel.COLUMNS)
    if frame is None:
        frame = readmodel.scan_tickets(db)
        if publish_missing:
            publish(db, frame, readmodel.scan_timeline(db))
    return frame


def get_settings(db: Database) -> dict:
    """The stored settings over the contract's defaults (a rule made of parts gains the
    default of a part added since it was saved)."""
    settings = copy.deepcopy(fields.DEFAULT_SETTINGS)
    stored = db.settings.find_one({"_id": "current"}) or {}
    for name in settings:
        if name in stored:
            parted = rules.rule_named(name).parts and isinstance(stored[name], dict)
            settings[name] = {**settings[name], **stored[name]} if parted else stored[name]
    return settings


def save_settings(db: Database, settings: dict, user: str = "system") -> dict:
    """Store new settings and re-derive every ticket; returns what moved per field."""
    clean = {name: settings[name] for name in fields.DEFAULT_SETTINGS}
    with write_lock(db, "a Settings change"):
        db.settings.replace_one({"_id": "current"}, {"_id": "current", **clean,
                                                     "changed_by": user, "changed_at": _now()},
                                upsert=True)
        moved, frame = rederive(db, clean)
        publish(db, frame)  # score weights change figures even when no ticket moves
    return moved


def rederive(db: Database, settings: dict) -> tuple[dict, object]:
    """Recompute the derived fields of stored tickets.

    Returns {field: {"old → new": tickets}} of what changed, and the read model frame of the
    re-derived tickets (built from the same scan).
    """
    moved: dict[str, Counter] = {name: Counter() for name in DERIVED_FIELDS}
    projection = {name: 1 for name in normalise.FILE_FIELDS if name != "extra"}
    projection.update({name: 1 for name in (*DERIVED_FIELDS, "content_hash")})
    updates, tickets = [], []
    for ticket in db.tickets.find({}, projection):
        derived = normalise.derive(ticket, settings)
        changed = {k: v for k, v in derived.items() if ticket.get(k) != v}
        for name, value in changed.items():
            moved[name][(ticket.get(name), value)] += 1
        if changed:
            updates.append(UpdateOne({"_id": ticket["_id"]}, {"$set": changed}))
        tickets.append({**ticket, **derived})
    for chunk in _chunks(updates, BATCH):
        db.tickets.bulk_write(chunk, ordered=False)
    moved_text = {name: {f"{old} → {new}": n for (old, new), n in counts.most_common()}
                  for name, counts in moved.items() if counts}
    return moved_text, readmodel.frame_from_tickets(tickets)


# ---------------------------------------------------------------- importing

def import_file(db: Database, source, file_name: str | None = None, *, user: str = "cli",
                dry_run: bool = False, progress: Progress | None = None,
                mapping: dict[str, str | None] | None = None, named: str | None = None,
                saved_as: str | None = None) -> ImportReport:
    """The one import pipeline (CLI, app and bench): read → derive → compare → write.

    ReadError when the file fails as a whole (nothing is written then); MappingError, a
    ReadError, when ``mapping`` cannot be imported. ``mapping`` (field -> header) overrides
    the mapping the headers suggest; None uses the one saved for the file's header layout,
    if any, else the detected one. An import with a ``mapping`` saves it for the layout when
    it differs from the detected one, and forgets the saved one when it does not; with
    ``saved_as`` it is saved under that name too. ``named`` reads the file through the
    mapping saved under that name (``--mapping NAME``), matching its headers by name when the
    file's layout is another one.

    The file is read in full but turned into tickets, compared and written in chunks, so
    memory stays bounded by the file's table, not by its tickets. The same file as the last
    import, read through the same mapping, with nothing changed since, is recognised by its
    hash and not read again.
    """
    progress = progress or _no_progress
    data, name = read.load_bytes(source, file_name)
    sha256 = hashlib.sha256(data).hexdigest()
    if not dry_run and named is None:
        previous = _same_file_as_last_import(db, sha256, mapping)
        if previous is not None:
            return _record_unchanged_import(db, previous, name, user, progress)
    progress(0.0, "reading the file")
    table = read.read_table(data, name, max_bytes=config.max_upload_bytes())
    del data, source  # the table holds what is needed; the chunks release it when done
    table = mapping_in_force(db, table, mapping, named)
    if dry_run:
        report, chunks = normalise.iter_tickets(table, get_settings(db), name)
        del table
        return _store_chunks(db, report, chunks, None, user=user, sha256=sha256,
                             progress=progress)
    with write_lock(db, f"the import of {name}") as lock:
        recovered = _recover_interrupted_imports(db)
        report, chunks = normalise.iter_tickets(table, get_settings(db), name)
        headers, chosen, detected = table.headers, dict(table.mapping), table.detected
        del table
        report = _store_chunks(db, report, chunks, lock, user=user, sha256=sha256,
                               progress=progress)
        for upload_id in recovered:  # again: a dead process's last write may land late
            _drop_unwritten_history(db, upload_id)
        if mapping is not None:
            _remember_mapping(db, headers, chosen, detected, user, saved_as)
        return report


# ---------------------------------------------------------------- mappings per header layout

def mapping_in_force(db: Database, table: read.RawTable,
                     mapping: dict[str, str | None] | None,
                     named: str | None = None) -> read.RawTable:
    """The table read through ``mapping``, else through the mapping saved under the name
    ``named``, else through the mapping saved for its layout, else as detected (a native
    export through its preset). MappingError when the mapping cannot be imported."""
    if mapping is not None:
        return read.with_mapping(table, mapping)
    if named is not None:
        return read.with_mapping(table, mapping_named(db, named, table.headers))
    saved = saved_mapping(db, table.headers)
    return read.with_mapping(table, saved["mapping"]) if saved else table


def saved_mapping(db: Database, headers: list[str]) -> dict | None:
    """The mapping saved for this header layout as {"mapping", "user", "at"}, or None.

    It is kept as header positions, so that it applies to a later export whose headers differ
    only in case or spacing; one that no longer fits is ignored (and logged).
    """
    doc = db.mappings.find_one({"_id": read.layout_fingerprint(headers)})
    if doc is None:
        return None
    try:
        mapping = read.check_mapping({name: headers[position]
                                      for name, position in doc["positions"].items()}, headers)
    except (KeyError, IndexError, TypeError, read.MappingError) as exc:
        log.warning("the mapping saved for layout %s does not fit its file: %s", doc["_id"], exc)
        return None
    return {"mapping": mapping, "user": doc.get("user"), "at": doc.get("at"),
            "name": doc.get("name")}


def mapping_named(db: Database, name: str, headers: list[str]) -> dict[str, str]:
    """The mapping saved under ``name``, for a file with these headers: by position for the
    layout it was saved for, else by header name (case and spacing ignored). MappingError,
    in one sentence, when no mapping has that name or one of its columns is not in the file."""
    wanted = mapping_name(name)
    doc = db.mappings.find_one({"name": wanted}) if wanted else None
    if doc is None:
        names = sorted(d["name"] for d in db.mappings.find({"name": {"$type": "string"}},
                                                           {"name": 1}))
        known = f" the saved names are {', '.join(names)}" if names else " none is named yet"
        raise read.MappingError(f"No saved column mapping is called {display.clean(name)!r};"
                                f"{known}.")
    if doc["_id"] == read.layout_fingerprint(headers):
        return read.check_mapping({field: headers[position]
                                   for field, position in doc["positions"].items()}, headers)
    by_key = {presets.name_key(header): header for header in headers}
    mapping = {}
    for field, header in doc["mapping"].items():
        if presets.name_key(header) not in by_key:
            raise read.MappingError(f"The column {display.clean(header)!r} of the saved mapping "
                                    f"{display.clean(name)!r} is not in this file.")
        mapping[field] = by_key[presets.name_key(header)]
    return read.check_mapping(mapping, headers)


def mapping_name(name: str | None) -> str | None:
    """A mapping's name as stored: one trimmed line, None when blank."""
    text = display.clean(name, MAPPING_NAME_CHARS) if name is not None else ""
    return text or None


MAPPING_NAME_CHARS = 60


def _remember_mapping(db: Database, headers: list[str], mapping: dict[str, str],
                      detected: dict[str, str], user: str, saved_as: str | None = None) -> None:
    """Save the mapping an import used for its layout (under ``saved_as`` too, which then
    names no other layout's mapping), or forget the saved one when the import used the
    detected mapping and named none. A layout's mapping keeps its name when saved again."""
    key = read.layout_fingerprint(headers)
    name = mapping_name(saved_as)
    if mapping == detected and name is None:
        db.mappings.delete_one({"_id": key})
        return
    if name is None:
        name = (db.mappings.find_one({"_id": key}, {"name": 1}) or {}).get("name")
    else:
        db.mappings.update_many({"name": name, "_id": {"$ne": key}}, {"$unset": {"name": ""}})
    positions = {field: headers.index(header) for field, header in mapping.items()}
    doc = {"_id": key, "headers": headers, "mapping": mapping, "positions": positions,
           "user": user, "at": _now()}
    if name is not None:
        doc["name"] = name
    db.mappings.replace_one({"_id": key}, doc, upsert=True)


def _store_chunks(db: Database, report: ImportReport, chunks: Iterable[list[dict]],
                  lock: WriteLock | None, *, user: str, sha256: str,
                  progress: Progress) -> ImportReport:
    """Compare each chunk with the read model and write what is new or changed.

    ``lock`` None is a dry run: compared, counted, nothing written. Safe to run again after an
    interruption: tickets are keyed by SR number and compared by content hash, so a second
    run writes what the first did not and nothing twice.
    """
    progress(0.05, "comparing with stored tickets")
    base = _base_frame(db, publish_missing=False)
    known = base.set_index("sr_number")[["content_hash", *DERIVED_FIELDS]]
    upload_id, now = ObjectId(), _now()
    if lock is not None:
        db.uploads.insert_one(_upload_record(upload_id, report, user, sha256, now, "running"))
    written, done = [], 0
    timelines = TimelineKeeper(imported_at=_now())
    report.inserted = report.updated = report.unchanged = 0
    with ChunkWriter() as writer:
        for tickets in chunks:
            new, changed_srs = _classify(tickets, known)
            stored = _stored_tickets(db, changed_srs) if changed_srs else {}
            changed = [(t, stored[t["sr_number"]]) for t in tickets if t["sr_number"] in stored]
            timelines.see(tickets, changed)
            new += [t for t in tickets if t["sr_number"] in changed_srs
                    and t["sr_number"] not in stored]  # in the read model, gone from the store
            report.inserted += len(new)
            report.updated += len(changed)
            report.unchanged += len(tickets) - len(new) - len(changed)
            done += len(tickets)
            if lock is not None:
                writer.submit(_write_chunk, db, new, changed, tickets, upload_id, now, user)
                if new or changed:
                    written.append(readmodel.frame_from_tickets(new + [t for t, _ in changed]))
                lock.refresh()
            progress(0.05 + 0.85 * done / max(report.tickets, 1),
                     f"{'stored' if lock else 'compared'} {done:,} of {report.tickets:,} tickets")
    if lock is None:
        progress(1.0, "dry run: nothing written")
        return report
    version = data_version(db)
    if written:
        progress(0.95, "updating the figures")
        upserts = readmodel.concat(written)
        del written, known
        timeline = timelines.finish(db)
        version = publish(db, readmodel.merged(base, upserts), timeline)
    db.uploads.update_one({"_id": upload_id}, {"$set": {
        **_report_counts(report), "status": "done", "finished_at": _now(),
        "version_after": version, "snapshot": version_info(db).get("snapshot")}})
    progress(1.0, "done")
    return report


class TimelineKeeper:
    """Keeps each ticket's team timeline through an import.

    An event-log file gives a ticket's timeline exactly (``normalise.event_timelines``). A
    snapshot file only shows the team now: when it differs from the stored one, the change is
    placed at the file's clock (its latest date, or the import time for a live export; see
    ``metrics.clock_of``), known only once every chunk is read, so those points are written
    at the end (``finish``). A changed ticket otherwise keeps the timeline it had.
    """

    def __init__(self, imported_at: dt.datetime) -> None:
        self.imported_at = imported_at
        self.latest: dt.datetime | None = None
        self.placed: list[dict] = []  # tickets given a point at the file's clock
        self.touched: list[dict] = []  # new or changed tickets with a timeline

    def see(self, tickets: list[dict], changed: list[tuple[dict, dict]]) -> None:
        for ticket in tickets:
            for name in ("created", "resolved_at"):
                value = ticket.get(name)
                if value is not None and (self.latest is None or value > self.latest):
                    self.latest = value
        for ticket, old in changed:
            if "timeline" in ticket:
                continue
            kept = old.get("timeline")
            if ticket.get("team_raw") != old.get("team_raw"):
                start = kept or [{"at": old.get("created"), "team_raw": old.get("team_raw"),
                                  "exact": True}]
                ticket["timeline"] = [*start, {"at": None, "team_raw": ticket.get("team_raw"),
                                               "exact": False}]
                self.placed.append(ticket)
            elif kept:
                ticket["timeline"] = kept
        self.touched += [t for t in tickets if t.get("timeline")]

    def finish(self, db: Database):
        """Write the points placed at the file's clock; the new timelines frame, or None when
        no ticket of the import has a timeline (the version keeps the ones it had)."""
        if not self.touched:
            return None
        from sla.metrics import clock_of  # metrics reads the store; the store only this

        clock = clock_of(self.latest, self.imported_at)["at"]
        for ticket in self.placed:
            ticket["timeline"][-1]["at"] = clock
        for part in _chunks(self.placed, BATCH):
            db.tickets.bulk_write([UpdateOne({"_id": t["sr_number"]},
                                             {"$set": {"timeline": t["timeline"]}})
                                   for t in part], ordered=False)
        info = version_info(db)
        return readmodel.merged_timeline(readmodel.load_timeline(db, info.get("timeline")),
                                         self.touched)


def _classify(tickets: list[dict], known) -> tuple[list[dict], set[str]]:
    """The chunk's new tickets, and the SR numbers whose content or derived fields differ."""
    srs = [t["sr_number"] for t in tickets]
    old = known.reindex(srs)
    present = old["content_hash"].notna().to_numpy()
    differs = [False] * len(tickets)
    for name in ("content_hash", *DERIVED_FIELDS):
        before = old[name].astype(object).where(old[name].notna(), None).to_numpy()
        for position, ticket in enumerate(tickets):
            if not differs[position] and before[position] != ticket.get(name):
                differs[position] = True
    new = [t for t, p in zip(tickets, present) if not p]
    changed = {t["sr_number"] for t, p, d in zip(tickets, present, differs) if p and d}
    return new, changed


def _stored_tickets(db: Database, srs: set[str]) -> dict[str, dict]:
    projection = {name: 1 for name in TRACKED_FIELDS}
    projection.update({"content_hash": 1, "first_upload": 1, "timeline": 1, "created": 1})
    if len(srs) * LOOKUP_SCAN_RATIO < db.tickets.estimated_document_count():
        queries = [{"_id": {"$in": chunk}} for chunk in _chunks(sorted(srs), LOOKUP_CHUNK)]
    else:  # most of the store changes: one scan beats many $in look-ups
        queries = [{}]
    stored = {}
    for query in queries:
        for doc in db.tickets.find(query, projection):
            if doc["_id"] in srs:
                stored[doc["_id"]] = doc
    return stored


class ChunkWriter:
    """Writes chunks in a second thread while the caller builds the next one.

    The store is another process, so building tickets (CPU in this process) and writing them
    (in the server) overlap on two cores. At most one chunk waits, which bounds memory; a
    failed write is raised at the next ``submit`` or at the end.
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sla-writer")
        self._pending: Future | None = None

    def submit(self, function, *args) -> None:
        self.wait()
        self._pending = self._pool.submit(function, *args)

    def wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace) -> None:
        try:
            if kind is None:
                self.wait()
            elif self._pending is not None:
                self._pending.cancel()
                wait_for([self._pending])
        finally:
            self._pool.shutdown(wait=True)


def _write_chunk(db: Database, new: list[dict], changed: list[tuple[dict, dict]],
                 tickets: list[dict], upload_id, now, user: str) -> None:
    """History of the changed tickets, then the tickets, then the agents seen, in batches
    sized for the store."""
    history = [entry for t, old in changed
               if (entry := _history_entry(t, old, upload_id, now, user, "import"))["changes"]]
    for part in _chunks(history, BATCH):
        db.ticket_history.insert_many(part, ordered=False)
    for part in _chunks(new, BATCH):
        _insert_new(db, [{**t, "_id": t["sr_number"], "first_upload": upload_id,
                          "last_upload": upload_id, "imported_at": now, "updated_at": now}
                         for t in part])
    for part in _chunks(changed, BATCH):
        db.tickets.bulk_write([ReplaceOne({"_id": t["sr_number"]},
                                          {**t, "_id": t["sr_number"],
                                           "first_upload": old.get("first_upload", upload_id),
                                           "last_upload": upload_id, "imported_at": now,
                                           "updated_at": now})
                               for t, old in part], ordered=False)
    _record_agents(db, tickets, now)


def _insert_new(db: Database, docs: list[dict]) -> None:
    """Insert; a ticket already stored (left by an import cut off before its read model was
    written) is replaced instead of failing the batch."""
    try:
        db.tickets.insert_many(docs, ordered=False)
    except BulkWriteError as exc:
        duplicates = {error["index"] for error in exc.details.get("writeErrors", [])
                      if error.get("code") == 11000}
        if len(duplicates) != len(exc.details.get("writeErrors", [])):
            raise
        db.tickets.bulk_write([ReplaceOne({"_id": docs[i]["_id"]}, docs[i], upsert=True)
                               for i in sorted(duplicates)], ordered=False)


def _recover_interrupted_imports(db: Database) -> list:
    """Imports left "running" by a process that died (the write lock held now proves it):
    mark them interrupted, drop the history entries of changes they did not get to write,
    and rebuild the read model from the tickets they may have half written; their ids.

    A chunk writes its history, then its tickets; a kill in between leaves entries for
    changes that did not happen, which the import run again would record a second time.
    The server may still apply the dead process's last history write after this (it was
    sent before the kill), so the import that recovered drops such entries again when it
    has written its own.
    """
    interrupted = [upload["_id"] for upload in db.uploads.find({"status": "running"}, {"_id": 1})]
    for upload_id in interrupted:
        _drop_unwritten_history(db, upload_id)
        db.uploads.update_one({"_id": upload_id}, {"$set": {"status": "interrupted",
                                                           "finished_at": _now()}})
    if interrupted:
        publish(db, readmodel.scan_tickets(db), readmodel.scan_timeline(db))
    return interrupted


def _drop_unwritten_history(db: Database, upload_id) -> None:
    srs = [entry["sr_number"] for entry in db.ticket_history.find({"upload_id": upload_id},
                                                                  {"sr_number": 1})]
    written = set()
    for chunk in _chunks(srs, LOOKUP_CHUNK):
        written.update(doc["_id"] for doc in db.tickets.find(
            {"_id": {"$in": chunk}, "last_upload": upload_id}, {"_id": 1}))
    unwritten = [sr for sr in srs if sr not in written]
    for chunk in _chunks(unwritten, LOOKUP_CHUNK):
        db.ticket_history.delete_many({"upload_id": upload_id, "sr_number": {"$in": chunk}})


def _same_file_as_last_import(db: Database, sha256: str,
                              mapping: dict[str, str | None] | None) -> dict | None:
    """The last import's record when it was this very file, read through the same mapping,
    and no data changed since.

    Without a ``mapping`` the file would be read through the one saved for its layout, or the
    detected one: only an import changes which, and the last import was this file, so that
    is the mapping it used.
    """
    last = db.uploads.find_one({"status": "done"}, sort=NEWEST_FIRST)
    if not last or last.get("sha256") != sha256 or last.get("version_after") != data_version(db):
        return None
    if mapping is not None and {k: v for k, v in mapping.items() if v} != last.get("mapping"):
        return None
    return last


def _record_unchanged_import(db: Database, previous: dict, name: str, user: str,
                             progress: Progress) -> ImportReport:
    report = ImportReport(**{k: previous[k] for k in ImportReport.__dataclass_fields__
                             if k in previous and k != "teams_other"})
    report.teams_other = {row["team_raw"]: row["tickets"]
                          for row in previous.get("teams_other", [])}
    report.file_name = name
    report.inserted = report.updated = 0
    report.unchanged = report.tickets
    report.notes = [*report.notes, "the same file as the import of "
                    f"{previous['at']:%Y-%m-%d %H:%M} UTC, with nothing changed since: "
                    "every ticket is unchanged"]
    now = _now()
    record = _upload_record(ObjectId(), report, user, previous["sha256"], now, "done")
    record.update({"finished_at": now, "version_after": previous["version_after"],
                   "snapshot": previous.get("snapshot")})
    db.uploads.insert_one(record)
    progress(1.0, "unchanged since the last import of this file")
    return report


def _history_entry(ticket: dict, old: dict, upload_id, now, user: str, kind: str) -> dict:
    changes = {}
    for name in TRACKED_FIELDS:
        if old.get(name) != ticket.get(name):
            changes[name] = {"old": old.get(name), "new": ticket.get(name)}
    return {"sr_number": ticket["sr_number"], "upload_id": upload_id, "at": now, "user": user,
            "kind": kind, "changes": changes}


def _record_agents(db: Database, tickets: Iterable[dict], now) -> None:
    """Each agent's teams seen and first/last seen, as the old system kept them."""
    teams: dict[str, set] = {}
    for ticket in tickets:
        if ticket.get("resolved_by"):
            teams.setdefault(ticket["resolved_by"], set()).add(ticket["team"])
    requests = [UpdateOne({"_id": name},
                          {"$addToSet": {"teams": {"$each": sorted(seen)}},
                           "$min": {"first_seen": now}, "$max": {"last_seen": now},
                           "$set": {"name": name}}, upsert=True)
                for name, seen in teams.items()]
    for chunk in _chunks(requests, BATCH):
        db.agents.bulk_write(chunk, ordered=False)


def _report_counts(report: ImportReport) -> dict:
    record = report.as_dict()
    record["teams_other"] = [{"team_raw": k, "tickets": v} for k, v in report.teams_other.items()]
    return record


def _upload_record(upload_id, report: ImportReport, user: str, sha256: str, now, status: str) -> dict:
    return {**_report_counts(report), "_id": upload_id, "user": user, "at": now,
            "sha256": sha256, "status": status}


NEWEST_FIRST = [("at", DESCENDING), ("_id", DESCENDING)]  # ids break ties within a second


def recent_uploads(db: Database, limit: int = 50) -> list[dict]:
    return list(db.uploads.find({}, {"problems": 0, "rejected_rows": 0})
                .sort(NEWEST_FIRST).limit(limit))


# ---------------------------------------------------------------- single tickets

def get_ticket(db: Database, sr_number: str) -> dict | None:
    return db.tickets.find_one({"_id": sr_number})


def ticket_history(db: Database, sr_number: str) -> list[dict]:
    return list(db.ticket_history.find({"sr_number": sr_number}, {"_id": 0})
                .sort("at", DESCENDING))


def edit_ticket(db: Database, sr_number: str, values: dict, user: str) -> dict:
    """Change a ticket's file values by hand; derived fields, history and read model follow."""
    with write_lock(db, "an edit"):
        old = db.tickets.find_one({"_id": sr_number})
        if old is None:
            raise KeyError(sr_number)
        ticket = {**old, **values}
        ticket.update(normalise.derive(ticket, get_settings(db)))
        ticket["content_hash"] = normalise.content_hash(ticket)
        entry = _history_entry(ticket, old, None, _now(), user, "edit")
        if not entry["changes"]:
            return {}
        db.ticket_history.insert_one(entry)
        ticket["updated_at"] = entry["at"]
        timeline = None
        if ticket.get("team_raw") != old.get("team_raw"):
            ticket["timeline"] = _handed_on(db, old, ticket["team_raw"])
            timeline = readmodel.merged_timeline(
                readmodel.load_timeline(db, version_info(db).get("timeline")), [ticket])
        db.tickets.replace_one({"_id": sr_number}, ticket)
        publish(db, readmodel.merged(_base_frame(db, publish_missing=False),
                                     readmodel.frame_from_tickets([ticket])), timeline)
    return entry["changes"]


def _handed_on(db: Database, old: dict, team_raw: str | None) -> list[dict]:
    """The timeline of a ticket whose team was changed by hand: the change placed at the
    data's clock (an edit says nothing about when the ticket really moved)."""
    from sla.metrics import data_clock  # metrics reads the store; the store only this

    last = recent_uploads(db, 1)
    clock = data_clock(snapshot(db), last[0]["at"] if last else None)["at"] or _now()
    start = old.get("timeline") or [{"at": old.get("created"), "team_raw": old.get("team_raw"),
                                     "exact": True}]
    return [*start, {"at": clock, "team_raw": team_raw, "exact": False}]


def delete_ticket(db: Database, sr_number: str, user: str) -> bool:
    with write_lock(db, "a delete"):
        old = db.tickets.find_one_and_delete({"_id": sr_number})
        if old is None:
            return False
        db.ticket_history.insert_one({"sr_number": sr_number, "upload_id": None, "at": _now(),
                                      "user": user, "kind": "delete",
                                      "changes": {k: {"old": old.get(k), "new": None}
                                                  for k in TRACKED_FIELDS
                                                  if old.get(k) is not None}})
        publish(db, readmodel.merged(_base_frame(db, publish_missing=False),
                                     deleted=[sr_number]))
    return True


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _no_progress(fraction: float, text: str) -> None:
    """The progress callback of callers that show none."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
