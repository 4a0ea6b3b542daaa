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


class TimelineKeeper:
    """Keeps each ticket's team timeline through an import.

    An event-log file gives a ticket's timeline exactly (``ingest.events.event_timelines``).
    A snapshot file only shows the team now: when it differs from the stored one, the change
    is placed at the file's clock (its latest date, or the import time for a live export; see
    ``analytics.metrics.clock_of``), known only once every chunk is read. Such a point is
    written with its ticket at the import's start, and moved to the file's clock at the end
    (``finish``), so a ticket never holds a point without a time, even if the import is cut
    off (the recovery then moves them, ``importing.recover_interrupted_imports``). A changed
    ticket otherwise keeps the timeline it had.
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
                ticket["timeline"] = [*start, {"at": self.imported_at,
                                               "team_raw": ticket.get("team_raw"),
                                               "exact": False}]
                self.placed.append(ticket)
            elif kept:
                ticket["timeline"] = kept
        self.touched += [t for t in tickets if t.get("timeline")]

    def finish(self, db: Database) -> pd.DataFrame | None:
        """Write the points placed at the file's clock; the new timelines frame, or None when
        no ticket of the import has a timeline (the version keeps the ones it had)."""
        if not self.touched:
            return None
        clock = clock_of(self.latest, self.imported_at)["at"]
        if clock != self.imported_at:
            for ticket in self.placed:
                ticket["timeline"][-1]["at"] = clock
            ticket_store.set_timelines(db, self.placed)
        return readmodel.merged_timeline(current_timeline(db), self.touched)


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
