"""Undoing an import: every ticket it inserted is removed and every ticket it changed goes
back to what it was, from the history the import kept (``tickets.write_imported``).

An import can be undone while no later import or edit changed its tickets (undo those
imports first, newest first). The undo is recorded on the import (``status: undone``, by
whom and when, what it put back) and on each ticket's history, and the read model follows
(the removed tickets out, the restored ones in), so every figure is what it was before the
import.
"""

from __future__ import annotations

from dataclasses import dataclass

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ReplaceOne
from pymongo.database import Database

from sla.analytics import readmodel
from sla.ingest import normalise
from sla.ingest.stored_values import content_hash
from sla.service.demo import DEMO_FILE, DEMO_USER
from sla.service.importing import recover_interrupted_imports
from sla.storage import tickets as ticket_store
from sla.storage import versions
from sla.storage.clock import now
from sla.storage.settings import get_settings
from sla.storage.writelock import write_lock


class UndoError(ValueError):
    """The import cannot be undone; the message is one sentence in the user's words."""


@dataclass
class Undone:
    """What an undo did: the import, and how many tickets it removed and put back."""

    import_id: str
    file_name: str
    removed: int
    restored: int


def undo_import(db: Database, import_id: str, user: str) -> Undone:
    """Undo the import ``import_id`` (as ``import --json`` and the import history name it).
    UndoError when it is not a finished import, or a later import or edit changed its
    tickets."""
    upload_id = _upload_id(import_id)
    with write_lock(db, f"the undo of import {import_id}"):
        recover_interrupted_imports(db)
        record = _undoable(db, upload_id, import_id)
        added = [doc["_id"] for doc in db.tickets.find({"first_upload": upload_id}, {"_id": 1})]
        entries = list(db.ticket_history.find({"upload_id": upload_id}))
        _refuse_later_changes(db, record, {*added, *(e["sr_number"] for e in entries)})
        restored = _restored(db, record, entries)
        _write(db, upload_id, added, restored, user)
        _publish(db, added, [ticket for ticket, _ in restored])
        db.uploads.update_one({"_id": upload_id}, {"$set": {
            "status": "undone", "undone_at": now(), "undone_by": user,
            "undo": {"removed": len(added), "restored": len(restored)}}})
    return Undone(import_id, record.get("file_name", ""), len(added), len(restored))


def demo_import_id(db: Database) -> str:
    """The newest demo import not undone yet; UndoError when there is none."""
    record = db.uploads.find_one({"file_name": DEMO_FILE, "user": DEMO_USER, "status": "done"},
                                 sort=[("at", -1), ("_id", -1)])
    if record is None:
        raise UndoError("there is no demo data to remove")
    return str(record["_id"])


def _upload_id(import_id: str) -> ObjectId:
    try:
        return ObjectId(import_id)
    except (InvalidId, TypeError):
        raise UndoError(f"{str(import_id)[:40]!r} is not an import id (24 hexadecimal "
                        "characters, as the import history shows)") from None


def _undoable(db: Database, upload_id: ObjectId, import_id: str) -> dict:
    record = db.uploads.find_one({"_id": upload_id}, {"problems": 0, "rejected_rows": 0})
    if record is None:
        raise UndoError(f"there is no import {import_id}")
    if record.get("status") == "undone":
        raise UndoError(f"the import {import_id} was undone already")
    if record.get("status") != "done":
        raise UndoError(f"the import {import_id} did not finish, so there is nothing to undo; "
                        "run it again to complete it")
    return record


def _refuse_later_changes(db: Database, record: dict, touched: set[str]) -> None:
    """UndoError naming what changed the import's tickets after it: a later import (not
    undone) or an edit or delete in the app."""
    later = {}
    for entry in db.ticket_history.find(
            {"at": {"$gte": record["at"]}, "upload_id": {"$ne": record["_id"]},
             "kind": {"$ne": "undo"}}, {"sr_number": 1, "upload_id": 1, "kind": 1}):
        if entry["sr_number"] in touched:
            later.setdefault(entry["upload_id"], set()).add(entry["sr_number"])
    if not later:
        return
    count = len(set().union(*later.values()))
    imports = [str(upload_id) for upload_id in later if upload_id is not None]
    if imports:
        raise UndoError(f"{count:,} of its tickets were changed by a later import "
                        f"({', '.join(sorted(imports)[:3])}); undo that first")
    raise UndoError(f"{count:,} of its tickets were edited or deleted in the app after it, "
                    "so it can no longer be undone")


def _restored(db: Database, record: dict, entries: list[dict]) -> list[tuple[dict, dict]]:
    """The changed tickets as they were before the import, their derived fields and SLA
    clock computed again with the rules in force, each with the history entry of the undo.

    Imports recorded before undo existed kept only the tracked fields' old values: their
    tickets also lose the timeline points the import placed (at its clock) and keep the rest.
    """
    stored = ticket_store.stored_documents(db, {e["sr_number"] for e in entries})
    restored = []
    for entry in entries:
        ticket = stored.get(entry["sr_number"])
        if ticket is None:
            continue
        for name, change in entry["changes"].items():
            ticket[name] = change["old"]
        if "before" in entry:
            for name, value in entry["before"].items():
                if value is None:
                    ticket.pop(name, None)
                else:
                    ticket[name] = value
        elif ticket.get("timeline"):
            placed_at = {record.get("clock"), record.get("at")}
            ticket["timeline"] = [p for p in ticket["timeline"]
                                  if p.get("exact") or p.get("at") not in placed_at]
        back = {name: {"old": change["new"], "new": change["old"]}
                for name, change in entry["changes"].items()}
        restored.append((ticket, back))
    normalise.derive_all([ticket for ticket, _ in restored], get_settings(db))
    for ticket, _ in restored:
        ticket["content_hash"] = content_hash(ticket)
    return restored


def _publish(db: Database, added: list[str], restored: list[dict]) -> None:
    """The read model and the timelines with the removed tickets gone and the restored ones
    as they are now (the rest as they were: no scan of the store)."""
    frame = readmodel.merged(versions.base_frame(db, publish_missing=False),
                             readmodel.frame_from_tickets(restored) if restored else None,
                             deleted=added)
    timeline = versions.current_timeline(db)
    if timeline is not None and added:
        timeline = timeline[~timeline["sr_number"].isin(set(added))]
    versions.publish(db, frame, readmodel.merged_timeline(timeline, restored))


def _write(db: Database, upload_id: ObjectId, added: list[str],
           restored: list[tuple[dict, dict]], user: str) -> None:
    """Remove the inserted tickets, put the changed ones back, and record each one put back
    in its history (what went back) in place of the import's entries."""
    at = now()
    for part in ticket_store.chunks(added, ticket_store.BATCH):
        db.tickets.delete_many({"_id": {"$in": part}})
    for part in ticket_store.chunks(restored, ticket_store.BATCH):
        db.tickets.bulk_write([ReplaceOne({"_id": t["_id"]}, t) for t, _ in part],
                              ordered=False)
    db.ticket_history.delete_many({"upload_id": upload_id, "kind": "import"})
    entries = [{"sr_number": t["_id"], "upload_id": upload_id, "at": at, "user": user,
                "kind": "undo", "changes": back} for t, back in restored]
    for part in ticket_store.chunks(entries, ticket_store.BATCH):
        db.ticket_history.insert_many(part, ordered=False)
