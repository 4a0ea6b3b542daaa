"""Changes made in the app rather than by an import: a Settings change (every stored ticket
re-derived), a ticket edited or deleted by hand. Each holds the write lock, records history
and publishes a new read model."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pandas as pd
from pymongo.database import Database

from sla.analytics import readmodel
from sla.analytics.metrics import data_clock
from sla.ingest import normalise, stored_values
from sla.ingest.values import clean_text
from sla.ingest.worktime import WORK_FIELDS
from sla.storage import settings as settings_store
from sla.storage import tickets as ticket_store
from sla.storage import uploads, versions
from sla.storage.clock import now
from sla.storage.writelock import write_lock


def save_settings(db: Database, settings: dict, user: str = "system") -> dict:
    """Store new settings and re-derive every ticket; returns what moved per field."""
    with write_lock(db, "a Settings change"):
        clean = settings_store.put_settings(db, settings, user)
        moved, frame = rederive(db, clean)
        versions.publish(db, frame)  # score weights change figures even when no ticket moves
    return moved


MOVES_SHOWN = (*ticket_store.DERIVED_FIELDS, "calendar")  # what a Settings change reports


def rederive(db: Database, settings: dict) -> tuple[dict, pd.DataFrame]:
    """Recompute the derived fields of stored tickets, a batch at a time.

    Returns {field: {"old → new": tickets}} of what changed, and the read model frame of the
    re-derived tickets (built from the same scan).
    """
    moved: dict[str, Counter] = {name: Counter() for name in MOVES_SHOWN}
    compared = (*ticket_store.DERIVED_FIELDS, *WORK_FIELDS)
    projection = {name: 1 for name in stored_values.FILE_FIELDS if name != "extra"}
    projection.update({name: 1 for name in (*compared, "content_hash", "timeline")})
    updates, frames, batch = [], [], []
    for ticket in db.tickets.find({}, projection):
        batch.append(ticket)
        if len(batch) == normalise.CHUNK_ROWS:
            frames.append(_rederive_batch(batch, settings, compared, moved, updates))
            batch = []
    frames.append(_rederive_batch(batch, settings, compared, moved, updates))
    ticket_store.set_derived(db, updates)
    moved_text = {name: {f"{old} → {new}": n for (old, new), n in counts.most_common()}
                  for name, counts in moved.items() if counts}
    return moved_text, readmodel.concat(frames)


def _rederive_batch(batch: list[dict], settings: dict, compared: tuple, moved: dict,
                    updates: list) -> pd.DataFrame:
    """Re-derive one batch of stored tickets: what moved is counted, what changed is queued
    in ``updates``; the batch's read-model rows."""
    before = [{name: ticket.get(name) for name in compared} for ticket in batch]
    normalise.derive_all(batch, settings)
    for ticket, old in zip(batch, before):
        changed = {k: ticket.get(k) for k in compared if old[k] != ticket.get(k)}
        for name in changed.keys() & moved.keys():
            moved[name][(old[name], changed[name])] += 1
        if changed:
            updates.append((ticket["_id"], changed))
    return readmodel.frame_from_tickets(batch)


class EditError(ValueError):
    """An edit that cannot be saved as typed; the message is one sentence."""


def cleaned(values: dict) -> dict:
    """Values typed into the edit form as the file's would be read (trimmed, blank = None;
    ``resolved_at`` as a date and time). EditError when one cannot be read."""
    read = {name: clean_text(value) for name, value in values.items()}
    if read.get("resolved_at") is not None:
        read["resolved_at"] = _date_time(read["resolved_at"])
    return read


def _date_time(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise EditError(f"Resolved at must be a date and time (YYYY-MM-DD HH:MM), not "
                        f"{text[:40]!r}") from None


def edit_ticket(db: Database, sr_number: str, values: dict, user: str) -> dict:
    """Change a ticket's file values by hand; derived fields, history and read model follow.
    The values edited are kept over a later file's (``overrides``). EditError when the values
    contradict each other (an open status with a resolved date)."""
    with write_lock(db, "an edit"):
        old = db.tickets.find_one({"_id": sr_number})
        if old is None:
            raise KeyError(sr_number)
        ticket = {**old, **values}
        normalise.derive_all([ticket], settings_store.get_settings(db))
        if ticket.get("status_class") == "pending" and ticket.get("resolved_at") is not None:
            raise EditError(f"status {ticket.get('status')!r} is an open status but the ticket "
                            "has a resolved date; clear Resolved at to reopen it")
        moved_on = any(ticket.get(name) != old.get(name) for name in ("team_raw", "status"))
        if moved_on:
            ticket["timeline"] = _moved_on(db, old, ticket)
            normalise.derive_all([ticket], settings_store.get_settings(db))
        ticket["content_hash"] = stored_values.content_hash(ticket)
        entry = ticket_store.history_entry(ticket, old, None, now(), user, "edit")
        if not entry["changes"]:
            return {}
        ticket[ticket_store.OVERRIDES] = {
            **old.get(ticket_store.OVERRIDES, {}),
            **{name: value for name, value in values.items() if old.get(name) != value}}
        db.ticket_history.insert_one(entry)
        ticket["updated_at"] = entry["at"]
        timeline = None
        if moved_on:
            timeline = readmodel.merged_timeline(versions.current_timeline(db), [ticket])
        db.tickets.replace_one({"_id": sr_number}, ticket)
        versions.publish(db, readmodel.merged(versions.base_frame(db, publish_missing=False),
                                              readmodel.frame_from_tickets([ticket])), timeline)
    return entry["changes"]


def _moved_on(db: Database, old: dict, ticket: dict) -> list[dict]:
    """The timeline of a ticket whose team or status was changed by hand: the change placed
    at the data's clock (an edit says nothing about when the ticket really moved)."""
    last = uploads.recent_uploads(db, 1)
    clock = data_clock(versions.snapshot(db), last[0]["at"] if last else None)["at"] or now()
    start = old.get("timeline") or [{"at": old.get("created"), "team_raw": old.get("team_raw"),
                                     "status": old.get("status"), "exact": True}]
    return [*start, {"at": clock, "team_raw": ticket.get("team_raw"),
                     "status": ticket.get("status"), "exact": False}]


def delete_ticket(db: Database, sr_number: str, user: str) -> bool:
    with write_lock(db, "a delete"):
        old = db.tickets.find_one_and_delete({"_id": sr_number})
        if old is None:
            return False
        db.ticket_history.insert_one({"sr_number": sr_number, "upload_id": None, "at": now(),
                                      "user": user, "kind": "delete",
                                      "changes": {k: {"old": old.get(k), "new": None}
                                                  for k in ticket_store.TRACKED_FIELDS
                                                  if old.get(k) is not None}})
        versions.publish(db, readmodel.merged(versions.base_frame(db, publish_missing=False),
                                              deleted=[sr_number]))
    return True
