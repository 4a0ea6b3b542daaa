"""The one import pipeline (the Upload page, ``./sla.sh import``, the notebook and the
benchmarks): a file -> tickets -> store, and the recovery of imports a dead process left.

Under the write lock, held in the database, the file's rows become tickets in chunks
(``ingest.normalise.iter_tickets``) with the settings in force; each chunk is compared with
the read model by content hash and written while the next one is built; finally a new read
model snapshot is published and the data version bumped once.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable

from bson import ObjectId
from pymongo.database import Database
from pymongo.errors import PyMongoError

from sla.analytics import readmodel
from sla.analytics.metrics import clock_of
from sla.core import config, display
from sla.ingest import normalise, read, sniff
from sla.ingest.normalise import ImportReport
from sla.ingest.table import (
    HEADER_SEARCH_ROWS,
    MappingError,
    ReadError,
    check_mapping,
    sr_headers,
)
from sla.service.import_writer import ChunkWriter, EditKeeper, TimelineKeeper, classify
from sla.storage import mappings, snapshots, uploads, versions
from sla.storage import tickets as ticket_store
from sla.storage.clock import now
from sla.storage.connection import StoreError
from sla.storage.mappings import MAPPING_NAME_CHARS, mapping_name
from sla.storage.settings import get_settings
from sla.storage.writelock import WriteLock, write_lock

log = logging.getLogger("sla")
Progress = Callable[[float, str], None]
PREVIEW_ROWS = 20
__all__ = ["MAPPING_NAME_CHARS", "ImportReport", "MappingError", "ReadError", "check_mapping",
           "mapping_name"]


def read_layout(db: Database, data: bytes, name: str) -> dict:
    """What the Upload page shows of a chosen file before anything is imported: its headers,
    the detected mapping (a native export's preset), the mapping saved for its layout, where
    the table was found and its first rows. ReadError when the file cannot be read."""
    table = read.read_table(data, name, max_bytes=config.max_upload_bytes(), keyless=True)
    saved = mappings.saved_mapping(db, table.headers)
    return {"name": name, "headers": table.headers, "detected": dict(table.detected),
            "saved": saved, "preset": table.preset.name if table.preset else None,
            "start": dict(saved["mapping"] if saved else table.detected),
            "sheet": table.sheet, "header_row": table.header_row,
            "separator": table.separator, "encoding": table.encoding,
            "preview": table.frame.head(PREVIEW_ROWS).copy()}


def import_file(db: Database, source, file_name: str | None = None, *, user: str = "cli",
                dry_run: bool = False, progress: Progress | None = None,
                mapping: dict[str, str | None] | None = None, named: str | None = None,
                saved_as: str | None = None, accept_file_values: bool = False,
                key: str | None = None) -> ImportReport:
    """Read → derive → compare → write.

    ReadError when the file fails as a whole (nothing is written then); MappingError, a
    ReadError, when ``mapping`` cannot be imported. ``mapping`` (field -> header) overrides
    the mapping the headers suggest; None uses the one saved for the file's header layout,
    if any, else the detected one. An import with a ``mapping`` saves it for the layout when
    it differs from the detected one, and forgets the saved one when it does not; with
    ``saved_as`` it is saved under that name too. ``named`` reads the file through the
    mapping saved under that name (``--mapping NAME``), matching its headers by name when the
    file's layout is another one. ``key`` names the column that identifies each ticket (the
    SR number) when the file's is not recognised. Values edited in the app stay over the
    file's unless ``accept_file_values`` (``import_writer.EditKeeper``).

    The file is read in full but turned into tickets, compared and written in chunks, so
    memory stays bounded by the file's table, not by its tickets. The same file as the last
    import, read through the same mapping, with nothing changed since, is recognised by its
    hash and not read again (unless ``key`` or ``accept_file_values`` asks for another
    reading).
    """
    progress = progress or _no_progress
    data, name = sniff.load_bytes(source, file_name)
    sha256 = hashlib.sha256(data).hexdigest()
    if not dry_run and named is None and key is None and not accept_file_values:
        previous = _same_file_as_last_import(db, sha256, mapping)
        if previous is not None:
            return _record_unchanged_import(db, previous, name, user, progress)
    progress(0.0, "reading the file")
    table = read.read_table(data, name, max_bytes=config.max_upload_bytes(), keyless=True)
    del data, source  # the table holds what is needed; the chunks release it when done
    if key is not None:
        mapping = {**(mapping or table.mapping), "sr_number": key}
    table = _with_key(mappings.mapping_in_force(db, table, mapping, named), name)
    if dry_run:
        settings = get_settings(db)
        report, chunks = normalise.iter_tickets(table, settings, name)
        del table
        return _store_chunks(db, report, chunks, None, user=user, sha256=sha256,
                             progress=progress, accept_file=accept_file_values)
    with write_lock(db, f"the import of {name}") as lock:
        recovered = recover_interrupted_imports(db)
        settings = get_settings(db)
        report, chunks = normalise.iter_tickets(table, settings, name)
        headers, chosen, detected = table.headers, dict(table.mapping), table.detected
        del table
        report = _store_chunks(db, report, chunks, lock, user=user, sha256=sha256,
                               progress=progress, accept_file=accept_file_values)
        for upload_id in recovered:  # a dead process's last write may land late
            ticket_store.drop_unwritten_history(db, upload_id)
        if mapping is not None:
            mappings.remember_mapping(db, headers, chosen, detected, user, saved_as)
        return report


def _with_key(table, name: str):
    """The table, once a column feeds the SR number; else ReadError saying how to choose it."""
    if "sr_number" not in table.mapping:
        raise ReadError(f"{display.clean(name)}: no header row with an SR number column in the "
                        f"first {HEADER_SEARCH_ROWS} rows (looked for {sr_headers()}); choose "
                        "the column that identifies each ticket on the Upload page, or import "
                        "with --key COLUMN")
    return table


def _store_chunks(db: Database, report: ImportReport, chunks: Iterable[list[dict]],
                  lock: WriteLock | None, *, user: str, sha256: str,
                  progress: Progress, accept_file: bool = False) -> ImportReport:
    """Compare each chunk with the read model and write what is new or changed.

    ``lock`` None is a dry run: compared, counted, nothing written. Safe to run again after an
    interruption: tickets are keyed by SR number and compared by content hash, so a second
    run writes what the first did not and nothing twice.
    """
    progress(0.05, "comparing with stored tickets")
    base = versions.base_frame(db, publish_missing=False)
    upload_id, started = ObjectId(), now()
    if lock is not None:
        report.import_id = str(upload_id)
        db.uploads.insert_one(uploads.upload_record(upload_id, report, user, sha256, started,
                                                    "running"))
    try:
        return _write_chunks(db, report, chunks, lock, upload_id, started, base, user, progress,
                             accept_file)
    except PyMongoError as exc:
        if lock is None:
            raise
        _mark_failed(db, upload_id)
        log.info("the import of %s lost the database", report.file_name, exc_info=True)
        raise StoreError("the database stopped answering during the import, so it did not "
                         "finish; run it again once the database is back") from exc


def _write_chunks(db: Database, report: ImportReport, chunks: Iterable[list[dict]],
                  lock: WriteLock | None, upload_id, started, base, user: str,
                  progress: Progress, accept_file: bool) -> ImportReport:
    known = base.set_index("sr_number")[["content_hash", *ticket_store.DERIVED_FIELDS]]
    written, done = [], 0
    settings = get_settings(db)
    timelines = TimelineKeeper(db, imported_at=started, settings=settings)
    edited = EditKeeper(db, settings, accept_file)
    recorded: set = set()  # (person, team) pairs written to the directory by earlier chunks
    report.inserted = report.updated = report.unchanged = 0
    with ChunkWriter() as writer:
        for tickets in chunks:
            edited.apply(tickets)
            new, changed = _compared(db, tickets, known)
            timelines.see(tickets, changed)
            report.inserted += len(new)
            report.updated += len(changed)
            report.unchanged += len(tickets) - len(new) - len(changed)
            done += len(tickets)
            if lock is not None:
                writer.submit(ticket_store.write_imported, db, new, changed, tickets, upload_id,
                              started, user, recorded)
                if new or changed:
                    written.append(readmodel.frame_from_tickets(new + [t for t, _ in changed]))
                lock.refresh()
            progress(0.05 + 0.85 * done / max(report.tickets, 1),
                     f"{'stored' if lock else 'compared'} {done:,} of {report.tickets:,} tickets")
    report.edits_kept = len(edited.kept)
    if note := edited.note():
        report.notes.append(note)
    if lock is None:
        progress(1.0, "dry run: nothing written")
        return report
    ticket_store.drop_overrides(db, edited.accepted)
    _finish(db, report, upload_id, base, written, timelines, progress)
    return report


def _mark_failed(db: Database, upload_id) -> None:
    """Record at once that an import lost the store (when the store answers again by then);
    the recovery before the next write settles what it wrote."""
    try:
        db.uploads.update_one({"_id": upload_id, "status": "running"},
                              {"$set": {"status": "failed", "finished_at": now()}})
    except PyMongoError:
        log.info("the failed import could not be marked failed yet", exc_info=True)


def _compared(db: Database, tickets: list[dict], known) -> tuple[list[dict], list[tuple]]:
    """A chunk's new tickets, and its changed ones paired with their stored documents."""
    new, changed_srs = classify(tickets, known)
    stored = ticket_store.stored_tickets(db, changed_srs) if changed_srs else {}
    changed = [(t, stored[t["sr_number"]]) for t in tickets if t["sr_number"] in stored]
    new += [t for t in tickets if t["sr_number"] in changed_srs
            and t["sr_number"] not in stored]  # in the read model, gone from the store
    return new, changed


def _finish(db: Database, report: ImportReport, upload_id, base, written: list,
            timelines: TimelineKeeper, progress: Progress) -> None:
    """Publish the new read model (when anything was written or carried over from an import
    cut off before) and close the import's record."""
    version = versions.data_version(db)
    carried = timelines.carry_interrupted(db)
    if written or carried:
        progress(0.95, "updating the figures")
        upserts = readmodel.concat(written) if written else None
        del written
        timeline, rederived = timelines.finish(db)
        if rederived is not None:
            upserts = rederived if upserts is None else readmodel.merged(upserts, rederived)
        version = versions.publish(db, readmodel.merged(base, upserts), timeline)
    clock = timelines.clock()
    if carried:
        db.uploads.update_many({"_id": {"$in": carried}},
                               {"$set": {"clock": clock, "carried_to": upload_id}})
    db.uploads.update_one({"_id": upload_id}, {"$set": {
        **uploads.report_counts(report), "status": "done", "finished_at": now(),
        "clock": clock,
        "version_after": version, "snapshot": versions.version_info(db).get("snapshot")}})
    progress(1.0, "done")


def recover_interrupted_imports(db: Database) -> list:
    """Imports a dead process left "running" (the write lock held now proves it) or one that
    lost the store marked "failed": settle their history (``tickets.settle_history``) and the
    team-timeline points they placed, mark them interrupted, and rebuild the read model from
    the tickets they may have half written; their ids.

    The server may still apply the dead process's last history write after this (it was sent
    before the kill); such entries stay pending, never shown, and the import that recovered
    drops them when it has written its own.
    """
    cut_off = list(db.uploads.find({"status": {"$in": ["running", "failed"]}},
                                   {"_id": 1, "at": 1}))
    for upload in cut_off:
        ticket_store.settle_history(db, upload["_id"])
        _settle_timelines(db, upload["_id"], upload.get("at"))
        db.uploads.update_one({"_id": upload["_id"]}, {"$set": {"status": "interrupted",
                                                               "finished_at": now()}})
    if cut_off:
        versions.publish(db, snapshots.scan_tickets(db), snapshots.scan_timeline(db))
    return [upload["_id"] for upload in cut_off]


def _settle_timelines(db: Database, upload_id, started) -> None:
    """Move the team-timeline points a cut-off import placed at its start to a provisional
    clock, recorded with the import: the clock of what it wrote, never before the last
    finished import's (its file's clock is unknown: it never read every chunk). The next
    import moves them to its own clock (``TimelineKeeper.carry_interrupted``)."""
    placed = ticket_store.placed_by(db, upload_id, started)
    if not placed:
        return
    clock = clock_of(ticket_store.latest_written(db, upload_id), started)["at"]
    previous = (uploads.last_done_import(db) or {}).get("clock")
    if previous is not None and previous > clock:
        clock = previous
    for ticket in placed:
        for point in ticket["timeline"]:
            if not point.get("exact") and point.get("at") in (started, None):
                point["at"] = clock
    ticket_store.set_timelines(db, normalise.derive_all(placed, get_settings(db)))
    db.uploads.update_one({"_id": upload_id}, {"$set": {"clock": clock}})


def _same_file_as_last_import(db: Database, sha256: str,
                              mapping: dict[str, str | None] | None) -> dict | None:
    """The last import's record when it was this very file, read through the same mapping,
    and no data changed since.

    Without a ``mapping`` the file would be read through the one saved for its layout, or the
    detected one: only an import changes which, and the last import was this file, so that
    is the mapping it used.
    """
    last = uploads.last_done_import(db)
    if not last or last.get("sha256") != sha256 or last.get("version_after") != versions.data_version(db):
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
    at, upload_id = now(), ObjectId()
    report.import_id = str(upload_id)
    record = uploads.upload_record(upload_id, report, user, previous["sha256"], at, "done")
    record.update({"finished_at": at, "version_after": previous["version_after"],
                   "snapshot": previous.get("snapshot")})
    db.uploads.insert_one(record)
    progress(1.0, "unchanged since the last import of this file")
    return report


def _no_progress(fraction: float, text: str) -> None:
    """The progress callback of callers that show none."""
