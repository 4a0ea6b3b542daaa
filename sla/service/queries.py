"""Every figure the pages, the CLI, the API and the notebook show, in one place.

Each function takes the database and the question (filters and the view's own options) and
answers from the read model snapshot of the current data version (``storage.versions``),
through the pure functions of ``sla.analytics``. Answers are kept in this process per
database, data version and question (``CACHE``): a repeated question costs one read of the
version document, and every answer of an older version is dropped as soon as a newer one is
asked for. A caller that has read the version document already (a page run reads it once)
passes it as ``info``.

Answers are handed out as copies, so a caller may change what it gets.
"""

from __future__ import annotations

import datetime as dt
import json
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import pandas as pd
from pymongo.database import Database

from sla.analytics import backlog as owners
from sla.analytics import changes as changes_module
from sla.analytics import export, metrics, risk
from sla.analytics import handoffs as handoffs_module
from sla.analytics import people as directory
from sla.analytics import team_moves as moves_module
from sla.analytics.changes import ChangesError
from sla.analytics.readmodel import Snapshot
from sla.core.filters import Filters
from sla.core.teams import team_names
from sla.ingest import stored_values
from sla.storage import people as people_store
from sla.storage import snapshots, tickets, uploads, versions, writelock
from sla.storage.clock import now
from sla.storage.settings import get_settings


class AnswerCache:
    """Answers per database, data version and question, in this process (least recently
    used go first); an answer is computed once however many ask for it at the same time."""

    def __init__(self, entries: int = 256) -> None:
        self.entries = entries
        self._answers: OrderedDict[tuple, object] = OrderedDict()
        self._versions: dict[tuple, int] = {}
        self._locks: dict[tuple, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, db: Database, version: int, question: Hashable,
            compute: Callable[[], object]) -> object:
        """The answer to ``question`` at data ``version``; ``compute()`` when not kept."""
        where = (id(db.client), db.name)
        key = (where, version, question)
        with self._guard:
            self._forget_older(where, version)
            if key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._guard:
                if key in self._answers:
                    return self._answers[key]
            try:
                answer = compute()
                with self._guard:
                    self._answers[key] = answer
                    while len(self._answers) > self.entries:
                        self._answers.popitem(last=False)
            finally:  # kept (or failed) before the lock goes: no one computes it twice
                with self._guard:
                    self._locks.pop(key, None)
            return answer

    def _forget_older(self, where: tuple, version: int) -> None:
        if self._versions.get(where, version) < version:
            for key in [k for k in self._answers if k[0] == where and k[1] < version]:
                del self._answers[key]
        self._versions[where] = max(version, self._versions.get(where, version))

    def clear(self) -> None:
        with self._guard:
            self._answers.clear()
            self._versions.clear()


CACHE = AnswerCache(entries=512)
# Ticket tables run to a million rows: only the few most recently asked for are kept.
FRAMES = AnswerCache(entries=8)


def ask(db: Database, question: Hashable, compute: Callable[[Snapshot], object],
        info: dict | None = None, cache: AnswerCache = CACHE) -> object:
    """The kept answer to ``question`` at the current data version, else ``compute`` run on
    that version's snapshot (as it is: the caller copies what it hands out)."""
    info = info if info is not None else versions.version_info(db)
    return cache.get(db, int(info["value"]), question,
                     lambda: compute(versions.snapshot(db, info)))


def _copy(value):
    """A copy the caller may change (a frame's is lazy: pandas copies on write; the rest goes
    through pickle, twice as fast as ``copy.deepcopy`` on rows of figures)."""
    if isinstance(value, pd.DataFrame):
        return value.copy(deep=False)
    return pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def _answer(db, question, compute, info, cache: AnswerCache = CACHE):
    return _copy(ask(db, question, compute, info, cache))


# ---------------------------------------------------------------- the figures

def settings(db: Database, info: dict | None = None) -> dict:
    """The rules in force (they change only with the data version)."""
    return _answer(db, ("settings",), lambda _: get_settings(db), info)


def summary(db: Database, filters: Filters = Filters(), info: dict | None = None) -> dict:
    rules, gone = settings(db, info), left(db, info)
    return _answer(db, ("summary", filters, gone),
                   lambda held: metrics.summary(held, filters, rules, gone), info)


def teams(db: Database, filters: Filters = Filters(), info: dict | None = None) -> list[dict]:
    names = team_names(settings(db, info))
    return _answer(db, ("teams", filters, names),
                   lambda held: metrics.teams(held, filters, names), info)


def agents(db: Database, filters: Filters = Filters(), info: dict | None = None) -> list[dict]:
    """Per agent with score and fair ranking; people who left (the agents directory) are
    left out of the rankings."""
    rules, gone = settings(db, info), left(db, info)
    return _answer(db, ("agents", filters, gone),
                   lambda held: metrics.agents(held, filters, rules, left=gone), info)


def profiles(db: Database, info: dict | None = None) -> list[dict]:
    """What admins set in the agents directory (every change publishes a data version)."""
    return _answer(db, ("profiles",), lambda _: people_store.profiles(db), info)


def left(db: Database, info: dict | None = None) -> frozenset:
    """The names of the people who left (the agents directory)."""
    return frozenset(p["_id"] for p in profiles(db, info) if p.get("active") is False)


def people(db: Database, info: dict | None = None) -> list[dict]:
    """The agents directory: everyone seen as resolver or owner, with their figures."""
    stored = profiles(db, info)
    return _answer(db, ("people",), lambda held: directory.directory(held.frame, stored), info)


def trend(db: Database, filters: Filters = Filters(), period: str = "week",
          info: dict | None = None) -> list[dict]:
    return _answer(db, ("trend", filters, period),
                   lambda held: metrics.trend(held, filters, period), info)


def priorities(db: Database, filters: Filters = Filters(),
               info: dict | None = None) -> list[dict]:
    return _answer(db, ("priorities", filters),
                   lambda held: metrics.priorities(held, filters), info)


def pending_by_status(db: Database, filters: Filters = Filters(),
                      info: dict | None = None) -> list[dict]:
    return _answer(db, ("pending_by_status", filters),
                   lambda held: metrics.pending_by_status(held, filters), info)


def raw_teams(db: Database, filters: Filters = Filters(),
              info: dict | None = None) -> list[dict]:
    return _answer(db, ("raw_teams", filters),
                   lambda held: metrics.raw_teams(held, filters), info)


def team_moves(db: Database, team_rules: list[dict], info: dict | None = None) -> list[dict]:
    """The tickets a change of the team rules would move between teams (not saved)."""
    question = ("team_moves", json.dumps(team_rules, sort_keys=True))
    return _answer(db, question, lambda held: moves_module.team_moves(held, team_rules), info)


def unmapped_names(db: Database, info: dict | None = None) -> list[dict]:
    """The team names in the files no rule maps, with their tickets."""
    return _answer(db, ("unmapped",), moves_module.unmapped_names, info)


def last_refresh(db: Database) -> dt.datetime | None:
    """When the data was last refreshed: the end of the last import that finished."""
    last = uploads.last_done_import(db)
    return (last.get("finished_at") or last["at"]) if last else None


def data_clock(db: Database, info: dict | None = None) -> dict:
    """{"at", "basis"}: the time at-risk ages are measured at (``metrics.data_clock``)."""
    def compute(held: Snapshot) -> dict:
        last = uploads.recent_uploads(db, 1)
        return metrics.data_clock(held, last[0]["at"] if last else None)
    return _answer(db, ("data_clock",), compute, info)


def at_risk(db: Database, filters: Filters = Filters(), info: dict | None = None) -> dict:
    """The overdue and at-risk lists (``risk.risk_lists``) with the clock they are measured
    at (``risk_moment``), as the Dashboard shows them; {"as_of": None, …} with empty lists
    when no ticket has a date."""
    clock = risk_moment(db, info)
    if clock["at"] is None:
        return {"as_of": None, "clock": clock["basis"],
                "counts": {"overdue": 0, "at_risk": 0, "paused": 0}, "tickets": []}
    rules = settings(db, info)
    lists = _answer(db, ("at_risk", filters, clock["at"]),
                    lambda held: risk.risk_lists(held, filters, rules, clock["at"]), info)
    return {"as_of": lists["as_of"], "clock": clock["basis"], "counts": lists["counts"],
            "tickets": lists["tickets"]}


def backlog(db: Database, filters: Filters = Filters(), info: dict | None = None) -> dict:
    """Each owner's open tickets by age, overdue and at risk (``backlog.backlog``), measured
    at the same clock as the overdue and at-risk lists; {"as_of": None, …} with no rows when
    no ticket has a date."""
    clock = risk_moment(db, info)
    if clock["at"] is None:
        return {"as_of": None, "clock": clock["basis"], "agents": [], "total": None}
    rules = settings(db, info)
    answer = _answer(db, ("backlog", filters, clock["at"]),
                     lambda held: owners.backlog(held, filters, rules, clock["at"]), info)
    return {"as_of": answer["as_of"], "clock": clock["basis"], "agents": answer["agents"],
            "total": answer["total"]}


def open_measured(db: Database) -> pd.DataFrame | None:
    """The open tickets measured at the Dashboard's moment (``risk.measured_open``), once a
    moment for every view and look-ahead a scheduler's pass asks about; None when no ticket
    has a date."""
    clock = risk_moment(db)
    if clock["at"] is None:
        return None
    rules = settings(db)
    return _answer(db, ("open_measured", clock["at"]),
                   lambda held: risk.measured_open(held.frame, rules, clock["at"]), None)


def alert_lists(db: Database, filters: Filters,
                within_hours: float) -> dict[str, pd.DataFrame]:
    """Every overdue ticket and every one due within ``within_hours`` (``risk.alert_lists``)."""
    return risk.alert_lists(risk.watched(open_measured(db), filters), within_hours)


def risk_moment(db: Database, info: dict | None = None) -> dict:
    """{"at", "basis"}: when open tickets are measured (``risk.risk_clock``: now for fresh
    data, to the minute so an answer is asked again once a minute, else the data's clock).
    A time of the store (now, an import) is UTC and aware: each calendar reads it in its zone."""
    clock = risk.risk_clock(data_clock(db, info), now())
    if clock["at"] is None:
        return clock
    if clock["basis"] == "now":
        clock["at"] = clock["at"].replace(second=0, microsecond=0)
    if clock["basis"] in ("now", "import"):
        clock["at"] = clock["at"].replace(tzinfo=dt.timezone.utc)
    return clock


def data_span(db: Database, info: dict | None = None) -> dict:
    """Tickets held, first/last created, agent and priority names, the last import."""
    def compute(held: Snapshot) -> dict:
        span = metrics.data_span(held)
        span["agents"] = metrics.agent_names(held)
        span["priorities"] = metrics.priority_names(held)
        last = uploads.recent_uploads(db, 1)
        span["last_upload"] = last[0] if last else None
        return span
    return _answer(db, ("data_span",), compute, info)


def handoffs(db: Database, filters: Filters = Filters(), raw: bool = False,
             info: dict | None = None, working: bool = False) -> dict:
    """Hours held per team (or raw team), measured at the data's clock; in working hours of
    each ticket's calendar with ``working``."""
    clock = data_clock(db, info)["at"] or dt.datetime.now()
    rules = settings(db, info)
    return _answer(db, ("handoffs", filters, raw, working),
                   lambda held: handoffs_module.handoffs(held, filters, rules, clock, raw,
                                                         working), info)


def changes(db: Database, filters: Filters = Filters(), from_import: str | None = None,
            to_import: str | None = None, info: dict | None = None) -> dict:
    """What moved the figures between two imports (default: the last two), with the keys of
    ``changes --json``; ``ChangesError`` when there is nothing to compare."""
    return _answer(db, ("changes", filters, from_import, to_import),
                   lambda _: _changes(db, filters, from_import, to_import), info)


def _changes(db: Database, filters: Filters, from_import: str | None,
             to_import: str | None) -> dict:
    before, after = changes_module.pick(uploads.comparable_imports(db), from_import, to_import,
                                        lambda upload_id: uploads.import_exists(db, upload_id),
                                        uploads.KEEP_IMPORT_SNAPSHOTS)
    frames = [snapshots.load_frame(db, u["snapshot"]) for u in (before, after)]
    if any(frame is None for frame in frames):
        raise ChangesError("the figures of one of these imports are no longer kept")
    edited, deleted = tickets.app_changes(db, before.get("finished_at") or before["at"],
                                          after.get("finished_at") or after["at"])
    result = changes_module.compare(frames[0], frames[1], filters, edited, deleted)
    return {"from": changes_module.describe(before), "to": changes_module.describe(after),
            **result}


def comparable_imports(db: Database) -> list[dict]:
    """The imports that can be compared, newest first."""
    return uploads.comparable_imports(db)


def tickets_frame(db: Database, filters: Filters = Filters(), limit: int = 0,
                  info: dict | None = None) -> pd.DataFrame:
    """The filtered tickets, newest created first (``analytics.export.tickets_frame``)."""
    return _answer(db, ("tickets", filters, limit),
                   lambda held: export.tickets_frame(held, filters, limit=limit), info, FRAMES)


def recent_uploads(db: Database, limit: int = 50) -> list[dict]:
    """The newest imports' records (read each time: an unchanged file adds one). One still
    "running" while nobody holds the write lock was cut off (its process died or lost the
    store): it shows as interrupted, as the recovery before the next write will mark it."""
    records = uploads.recent_uploads(db, limit)
    if any(r.get("status") == "running" for r in records) and not writelock.is_held(db):
        for record in records:
            if record.get("status") == "running":
                record["status"] = "interrupted"
    return records


def ticket(db: Database, sr_number: str) -> dict | None:
    """One ticket's stored record, its file's own columns (``extra``) under their names."""
    found = tickets.get_ticket(db, sr_number)
    if found is not None:
        found["extra"] = {stored_values.unescape_key(k): v
                          for k, v in (found.get("extra") or {}).items()}
    return found


def ticket_history(db: Database, sr_number: str) -> list[dict]:
    """The ticket's changes across imports and edits, newest first."""
    return tickets.ticket_history(db, sr_number)
