"""Tickets (``tickets``, one document per SR, ``_id`` = sr_number), their history
(``ticket_history``: per import or edit, the fields that changed with their old values) and
the agents seen (``agents``), written in batches sized for the store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from pymongo import DESCENDING, ReplaceOne, UpdateOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from sla.ingest.stored_values import FILE_FIELDS
from sla.ingest.worktime import WORK_FIELDS

BATCH = 5000  # documents per bulk write: large enough to amortise a round trip
# $in over thousands of keys is slow on some servers (quadratic on SecantusDB), so small files
# look their SRs up in chunks and large ones read the stored hashes in one scan.
LOOKUP_CHUNK = 100
PENDING = "pending"  # on an import's history entries until their tickets are written
LOOKUP_SCAN_RATIO = 20
DERIVED_FIELDS = ("status_class", "team", "priority", "response_sla", "resolution_sla")
# What a ticket's history records; not "preset" (which tool's export it came from) nor where
# the resolution hours came from: a file read so for the first time changes no value a user
# would call a change. Nor the SLA clock's fields (``WORK_FIELDS``), which follow the others.
TRACKED_FIELDS = tuple(f for f in FILE_FIELDS[1:]
                       if f not in ("preset", "resolution_hours_from")) + DERIVED_FIELDS
# What an import's history entry keeps of a changed ticket besides the tracked fields' old
# values, so that undoing the import puts the ticket back as it was (``undo_import``).
KEPT_BEFORE = ("timeline", "preset", "resolution_hours_from", "last_upload", "imported_at",
               "updated_at", "overrides")
OVERRIDES = "overrides"  # on a ticket edited in the app: {field: the value set by hand}


def get_ticket(db: Database, sr_number: str) -> dict | None:
    return db.tickets.find_one({"_id": sr_number})


def ticket_history(db: Database, sr_number: str) -> list[dict]:
    """The ticket's history, newest first; entries of an import still writing (or killed
    before it wrote the ticket) are not shown, so history never shows a change the ticket
    does not have."""
    shown = {"sr_number": sr_number, PENDING: {"$exists": False}, "changes": {"$ne": {}}}
    return list(db.ticket_history.find(shown, {"_id": 0, PENDING: 0, "before": 0})
                .sort("at", DESCENDING))


def history_entry(ticket: dict, old: dict, upload_id, at, user: str, kind: str) -> dict:
    """The history entry of a ticket changed from ``old``: the tracked fields that differ."""
    changes = {}
    for name in TRACKED_FIELDS:
        if old.get(name) != ticket.get(name):
            changes[name] = {"old": old.get(name), "new": ticket.get(name)}
    return {"sr_number": ticket["sr_number"], "upload_id": upload_id, "at": at, "user": user,
            "kind": kind, "changes": changes}


def stored_tickets(db: Database, srs: set[str]) -> dict[str, dict]:
    """The stored documents of these SR numbers (the fields an import compares and keeps)."""
    projection = {name: 1 for name in (*TRACKED_FIELDS, *KEPT_BEFORE)}
    projection.update({"content_hash": 1, "first_upload": 1, "created": 1})
    return stored_documents(db, srs, projection)


def stored_documents(db: Database, srs: set[str], projection: dict | None = None
                     ) -> dict[str, dict]:
    """The stored documents of these SR numbers (whole, or the fields of ``projection``)."""
    if len(srs) * LOOKUP_SCAN_RATIO < db.tickets.estimated_document_count():
        queries = [{"_id": {"$in": chunk}} for chunk in chunks(sorted(srs), LOOKUP_CHUNK)]
    else:  # most of the store: one scan beats many $in look-ups
        queries = [{}]
    stored = {}
    for query in queries:
        for doc in db.tickets.find(query, projection):
            if doc["_id"] in srs:
                stored[doc["_id"]] = doc
    return stored


def overridden(db: Database) -> dict[str, dict]:
    """SR number -> the values edited in the app that imports keep (few: set by hand)."""
    return {doc["_id"]: doc[OVERRIDES]
            for doc in db.tickets.find({OVERRIDES: {"$exists": True}}, {OVERRIDES: 1})}


def drop_overrides(db: Database, srs: list[str]) -> None:
    """Forget the edits on these tickets: the next import's values stand."""
    for part in chunks(srs, LOOKUP_CHUNK):
        db.tickets.update_many({"_id": {"$in": part}}, {"$unset": {OVERRIDES: ""}})


def write_imported(db: Database, new: list[dict], changed: list[tuple[dict, dict]],
                   tickets: list[dict], upload_id, at, user: str,
                   recorded: set | None = None) -> None:
    """One chunk of an import: history of the changed tickets (marked pending, so not shown;
    with what undoing the import needs to put them back), then the tickets, then the history
    shown, then the agents seen, in batches sized for the store. A kill in between leaves
    pending entries, which the recovery keeps for the tickets the import wrote and drops for
    the others (``settle_history``)."""
    history = [{**history_entry(t, old, upload_id, at, user, "import"), PENDING: True,
                "before": {name: old.get(name) for name in KEPT_BEFORE}} for t, old in changed]
    for part in chunks(history, BATCH):
        db.ticket_history.insert_many(part, ordered=False)
    for part in chunks(new, BATCH):
        insert_new(db, [{**t, "_id": t["sr_number"], "first_upload": upload_id,
                         "last_upload": upload_id, "imported_at": at, "updated_at": at}
                        for t in part])
    for part in chunks(changed, BATCH):
        db.tickets.bulk_write([ReplaceOne({"_id": t["sr_number"]},
                                          {**t, "_id": t["sr_number"],
                                           "first_upload": old.get("first_upload", upload_id),
                                           "last_upload": upload_id, "imported_at": at,
                                           "updated_at": at})
                               for t, old in part], ordered=False)
    if history:
        show_history(db, upload_id)
    record_agents(db, tickets, at, recorded)


def show_history(db: Database, upload_id) -> None:
    """Show the import's pending history entries (their tickets are written)."""
    db.ticket_history.update_many({"upload_id": upload_id, PENDING: True},
                                  {"$unset": {PENDING: ""}})


def insert_new(db: Database, docs: list[dict]) -> None:
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


def set_timelines(db: Database, tickets: list[dict]) -> None:
    """Write the timelines these tickets carry, with the fields derived from them (the SLA
    clock's, and the outcomes it may decide)."""
    written = ("timeline", *WORK_FIELDS, *DERIVED_FIELDS)
    for part in chunks(tickets, BATCH):
        db.tickets.bulk_write([UpdateOne({"_id": t["sr_number"]},
                                         {"$set": {k: t[k] for k in written if k in t}})
                               for t in part], ordered=False)


def placed_by(db: Database, upload_id, at) -> list[dict]:
    """The tickets an import last wrote with a team-timeline point placed at ``at`` (its
    start, until its end moves them to the file's clock) or at no time (left by older
    versions), whole: their SLA clock is derived again once the point moves."""
    found = list(db.tickets.find(
        {"last_upload": upload_id,
         "timeline": {"$elemMatch": {"exact": False, "at": {"$in": [at, None]}}}}))
    for ticket in found:
        ticket.setdefault("sr_number", ticket["_id"])
    return found


def latest_written(db: Database, upload_id):
    """The latest creation or resolution time among the tickets an import wrote; None when
    it wrote none with a time."""
    found = [doc[name] for name in ("created", "resolved_at")
             for doc in db.tickets.find({"last_upload": upload_id, name: {"$ne": None}},
                                        {name: 1}).sort(name, DESCENDING).limit(1)]
    return max(found, default=None)


def set_derived(db: Database, changed: list[tuple[str, dict]]) -> None:
    """Write re-derived fields: (SR number, {field: value}) pairs."""
    for part in chunks(changed, BATCH):
        db.tickets.bulk_write([UpdateOne({"_id": sr}, {"$set": values}) for sr, values in part],
                              ordered=False)


def record_agents(db: Database, tickets: Iterable[dict], at, recorded: set | None = None) -> None:
    """Each person's teams seen and first/last seen, as the old system kept them: resolvers
    and owners alike. ``recorded`` holds the (name, team) pairs an import wrote already from
    its earlier chunks (all at the same time ``at``), which are not written again."""
    recorded = set() if recorded is None else recorded
    teams: dict[str, set] = {}
    for ticket in tickets:
        for name in {ticket.get("resolved_by"), ticket.get("owner")} - {None, ""}:
            if (name, ticket["team"]) not in recorded:
                recorded.add((name, ticket["team"]))
                teams.setdefault(name, set()).add(ticket["team"])
    requests = [UpdateOne({"_id": name},
                          {"$addToSet": {"teams": {"$each": sorted(seen)}},
                           "$min": {"first_seen": at}, "$max": {"last_seen": at},
                           "$set": {"name": name}}, upsert=True)
                for name, seen in teams.items()]
    for chunk in chunks(requests, BATCH):
        db.agents.bulk_write(chunk, ordered=False)


def settle_history(db: Database, upload_id) -> None:
    """After an import was cut off: drop its pending history entries whose ticket it did not
    write, and show the rest."""
    drop_unwritten_history(db, upload_id)
    show_history(db, upload_id)


def drop_unwritten_history(db: Database, upload_id) -> None:
    """Drop the pending history entries of an import whose ticket was not written by it (a
    chunk writes its history first, then its tickets)."""
    srs = [entry["sr_number"] for entry in db.ticket_history.find(
        {"upload_id": upload_id, PENDING: True}, {"sr_number": 1})]
    written = set()
    for chunk in chunks(srs, LOOKUP_CHUNK):
        written.update(doc["_id"] for doc in db.tickets.find(
            {"_id": {"$in": chunk}, "last_upload": upload_id}, {"_id": 1}))
    unwritten = [sr for sr in srs if sr not in written]
    for chunk in chunks(unwritten, LOOKUP_CHUNK):
        db.ticket_history.delete_many({"upload_id": upload_id, PENDING: True,
                                       "sr_number": {"$in": chunk}})


def app_changes(db: Database, since: dt.datetime, until: dt.datetime) -> tuple[set, set]:
    """SR numbers edited, and deleted, in the app between two moments (whole seconds, as
    history is stamped: an edit in the second an import finished counts as after it)."""
    edited, deleted = set(), set()
    for entry in db.ticket_history.find({"upload_id": None, "at": {"$gte": since, "$lte": until}},
                                        {"sr_number": 1, "kind": 1}):
        (deleted if entry.get("kind") == "delete" else edited).add(entry["sr_number"])
    return edited, deleted


def chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
