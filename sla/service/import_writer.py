"""The parts of an import that run chunk by chunk: telling new and changed tickets apart,
keeping their team timelines, and writing each chunk while the next one is built."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for

import pandas as pd
from pymongo.database import Database

from sla.analytics import readmodel
from sla.analytics.metrics import clock_of
from sla.core import display
from sla.ingest import normalise
from sla.ingest.stored_values import content_hash
from sla.storage import tickets as ticket_store
from sla.storage.versions import current_timeline


def classify(chunk: list[dict], known: pd.DataFrame) -> tuple[list[dict], set[str]]:
    """The chunk's new tickets, and the SR numbers whose content or derived fields differ
    from ``known`` (the read model indexed by SR number)."""
    srs = [t["sr_number"] for t in chunk]
    old = known.reindex(srs)
    present = old["content_hash"].notna().to_numpy()
    differs = [False] * len(chunk)
    for name in ("content_hash", *ticket_store.DERIVED_FIELDS):
        before = old[name].astype(object).where(old[name].notna(), None).to_numpy()
        for position, ticket in enumerate(chunk):
            if not differs[position] and before[position] != ticket.get(name):
                differs[position] = True
    new = [t for t, p in zip(chunk, present) if not p]
    changed = {t["sr_number"] for t, p, d in zip(chunk, present, differs) if p and d}
    return new, changed


class EditKeeper:
    """Keeps the values edited in the app (a ticket's ``overrides``) over a file's.

    A file that carries another value for an edited field is taken to be behind the edit: the
    edit stays and the report says so, naming what the file says. With ``accept_file`` the
    file's values stand and the edits on its tickets are forgotten.
    """

    SHOWN = 3  # examples named in the report

    def __init__(self, db: Database, settings: dict, accept_file: bool) -> None:
        self.overrides = ticket_store.overridden(db)
        self.settings = settings
        self.accept_file = accept_file
        self.kept: list[str] = []  # SR numbers whose edit stayed over a different file value
        self.examples: list[str] = []
        self.accepted: list[str] = []  # SR numbers whose edits the file's values replace

    def apply(self, tickets: list[dict]) -> None:
        """Put the edits back on this chunk's tickets (before they are compared)."""
        if not self.overrides:
            return
        edited = [t for t in tickets if t["sr_number"] in self.overrides]
        if self.accept_file:
            self.accepted += [t["sr_number"] for t in edited]
            return
        for ticket in edited:
            values = self.overrides[ticket["sr_number"]]
            differs = {name: ticket.get(name) for name, value in values.items()
                       if ticket.get(name) != value}
            if differs:
                self.kept.append(ticket["sr_number"])
                if len(self.examples) < self.SHOWN:
                    name, file_value = next(iter(differs.items()))
                    self.examples.append(f"{ticket['sr_number']} {display.label(name)} "
                                         f"{display.value(file_value)!r}, kept "
                                         f"{display.value(values[name])!r}")
            ticket.update(values)
            ticket[ticket_store.OVERRIDES] = values
            ticket["content_hash"] = content_hash(ticket)
        normalise.derive_all(edited, self.settings)

    def note(self) -> str | None:
        """The report's line on the edits kept (None when no file value differed)."""
        if not self.kept:
            return None
        return (f"kept your edit on {display.count(len(self.kept), 'ticket')} (the file says "
                f"{'; '.join(self.examples)}{'; …' if len(self.kept) > self.SHOWN else ''}); "
                "to take the file's values instead, import it again with \"Take the file's "
                "values over edits\" (--accept-file-values)")


class TimelineKeeper:
    """Keeps each ticket's timeline (its raw team and status over time) through an import.

    An event-log file gives a ticket's timeline exactly (``ingest.events.event_timelines``).
    A snapshot file only shows the team and status now: when either differs from the stored
    one, the change is placed at the file's clock (its latest date, or the import time for a
    live export; see ``analytics.metrics.clock_of``), known only once every chunk is read.
    Such a point is written with its ticket at the import's start, and moved to the file's
    clock at the end (``finish``), so a ticket never holds a point without a time, even if the
    import is cut off (the recovery then moves them, ``importing.recover_interrupted_imports``).
    The stored status is placed at the clock of the upload that last wrote its ticket (kept
    with each import's record; the time it was written for imports older than that), so a
    pause seen in one upload and gone in the next lasts from one's clock to the other's. A changed
    ticket otherwise keeps the timeline it had. The SLA clock of the tickets given a point is
    derived again (``normalise.derive_all``), at the end with the points at the file's clock.
    """

    def __init__(self, db: Database, imported_at: dt.datetime, settings: dict) -> None:
        self.db = db
        self.imported_at = imported_at
        self.settings = settings
        self._clocks: dict = {}  # upload id -> its clock
        self.latest: dt.datetime | None = None
        self.placed: list[dict] = []  # tickets given a point at the file's clock
        self.touched: list[dict] = []  # new or changed tickets with a timeline
        self._carried: list[dict] = []  # tickets an import cut off before placed a point on

    def see(self, tickets: list[dict], changed: list[tuple[dict, dict]]) -> None:
        for ticket in tickets:
            for name in ("created", "resolved_at"):
                value = ticket.get(name)
                if value is not None and (self.latest is None or value > self.latest):
                    self.latest = value
        placed = []
        for ticket, old in changed:
            if "timeline" in ticket:
                continue
            kept = old.get("timeline")
            if any(ticket.get(name) != old.get(name) for name in ("team_raw", "status")):
                ticket["timeline"] = [*(kept or self._first_points(old)),
                                      {"at": self.imported_at, "team_raw": ticket.get("team_raw"),
                                       "status": ticket.get("status"), "exact": False}]
                placed.append(ticket)
            elif kept:
                ticket["timeline"] = kept
        normalise.derive_all(placed, self.settings)
        self.placed += placed
        self.touched += [t for t in tickets if t.get("timeline")]

    def clock(self) -> dt.datetime:
        """The file's clock (once every chunk was seen)."""
        return clock_of(self.latest, self.imported_at)["at"]

    def _first_points(self, old: dict) -> list[dict]:
        """The timeline of a ticket that had none: its team from created on, and its status
        from the clock of the upload that last wrote it (before that, unknown)."""
        points = [{"at": old.get("created"), "team_raw": old.get("team_raw"), "status": None,
                   "exact": True}]
        seen = self._upload_clock(old.get("last_upload")) or old.get("updated_at")
        if seen is not None:
            points.append({"at": seen, "team_raw": old.get("team_raw"),
                           "status": old.get("status"), "exact": False})
        return points

    def _upload_clock(self, upload_id) -> dt.datetime | None:
        if upload_id not in self._clocks:
            record = self.db.uploads.find_one({"_id": upload_id}, {"clock": 1}) or {}
            self._clocks[upload_id] = record.get("clock")
        return self._clocks[upload_id]

    def carry_interrupted(self, db: Database) -> list:
        """Take over the points an import cut off before placed at its provisional clock on
        the tickets it last wrote (``importing.recover_interrupted_imports``): the change was
        seen by no finished import before this one, so it moves to this file's clock. The ids
        of the imports carried over."""
        carried = []
        for upload in db.uploads.find({"status": "interrupted", "clock": {"$ne": None},
                                       "carried_to": {"$exists": False}}, {"clock": 1}):
            carried.append(upload["_id"])
            for ticket in ticket_store.placed_by(db, upload["_id"], upload["clock"]):
                for point in ticket["timeline"]:
                    if not point.get("exact") and point.get("at") in (upload["clock"], None):
                        point["at"] = self.imported_at
                self._carried.append(ticket)
        return carried

    def finish(self, db: Database) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
        """Write the points placed at the file's clock, with the SLA clock they give. The new
        timelines frame, or None when no ticket of the import has a timeline (the version
        keeps the ones it had); and the read-model rows of the tickets derived again, or None.
        """
        if not self.touched and not self._carried:
            return None, None
        clock = self.clock()
        moved = self._carried if clock == self.imported_at else self.placed + self._carried
        if not moved:
            return readmodel.merged_timeline(current_timeline(db), self.touched), None
        for ticket in moved:
            for point in ticket["timeline"]:
                if not point.get("exact") and point.get("at") == self.imported_at:
                    point["at"] = clock
        normalise.derive_all(moved, self.settings)
        ticket_store.set_timelines(db, moved)
        return (readmodel.merged_timeline(current_timeline(db), self.touched + self._carried),
                readmodel.frame_from_tickets(moved))


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
