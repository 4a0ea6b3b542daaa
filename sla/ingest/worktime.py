"""The SLA clock of each ticket: the calendar its team uses, the time it spent in a paused
status, and, where the app measures a ticket's resolution instead of reading the file's, its
working hours and outcome (docs/metrics.md, "The SLA clock").

Run over a batch of tickets after ``normalise.derive``: the working time of every batch is
computed with one vectorised pass per calendar (``sla.core.calendars.WorkingClock``), never
a loop per ticket over time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sla.core.calendars import ALWAYS
from sla.core.sla_clock import calendar_names, clock_named, is_paused, paused_set, source_of

# Derived with the clock rules; stored with each ticket and re-derived when a rule changes.
WORK_FIELDS = ("calendar", "paused_hours", "paused_since", "worked_hours", "hours_source")


def derive_work(tickets: list[dict], settings: dict) -> None:
    """Set the WORK_FIELDS of ``tickets`` (already through ``normalise.derive``), and their
    outcomes where the clock decides them."""
    if not tickets:
        return
    names = calendar_names([t.get("team") for t in tickets], settings)
    created = _times([t.get("created") for t in tickets])
    resolved = np.array([t.get("status_class") == "resolved" for t in tickets])
    end = np.where(resolved, _times([t.get("resolved_at") for t in tickets]),
                   np.datetime64("NaT", "ns"))
    pauses, since = _pauses(tickets, paused_set(settings))
    paused_hours = _paused_hours(pauses, names, created, end, len(tickets), settings)
    computed = set(settings["computed_outcomes"])
    measured = _measured(tickets, names, created, end, paused_hours, computed, settings)
    has_pauses = np.zeros(len(tickets), dtype=bool)
    has_pauses[pauses["tid"].to_numpy()] = True
    for position, ticket in enumerate(tickets):
        ticket["calendar"] = names[position]
        ticket["paused_hours"] = float(paused_hours[position]) if has_pauses[position] else None
        ticket["paused_since"] = since[position]
        _set_outcomes(ticket, measured[position], computed, settings)


def _times(values: list) -> np.ndarray:
    return pd.to_datetime(pd.Series(values, dtype=object)).to_numpy(dtype="datetime64[ns]")


def _pauses(tickets: list[dict], paused: set[str]) -> tuple[pd.DataFrame, list]:
    """The closed stretches each ticket spent in a paused status (tid, start, stop), from its
    timeline; and, per ticket, the start of the pause it is in now (an open ticket whose
    timeline ends in a paused status), else None."""
    rows, since = [], [None] * len(tickets)
    if paused:
        for position, ticket in enumerate(tickets):
            points = [p for p in ticket.get("timeline") or () if p.get("at") is not None]
            for point, following in zip(points, points[1:]):
                if is_paused(point.get("status"), paused):
                    rows.append((position, point["at"], following["at"]))
            if (points and is_paused(points[-1].get("status"), paused)
                    and ticket.get("status_class") != "resolved"
                    and is_paused(ticket.get("status"), paused)):
                since[position] = points[-1]["at"]
            elif points and is_paused(points[-1].get("status"), paused):
                rows.append((position, points[-1]["at"], ticket.get("resolved_at")))
    frame = pd.DataFrame(rows, columns=["tid", "start", "stop"])
    return frame.astype({"tid": "int64", "start": "datetime64[ns]",
                         "stop": "datetime64[ns]"}), since


def _paused_hours(pauses: pd.DataFrame, names: np.ndarray, created: np.ndarray,
                  end: np.ndarray, size: int, settings: dict) -> np.ndarray:
    """Working hours each ticket spent paused, within its life (created to resolved)."""
    total = np.zeros(size)
    if pauses.empty:
        return total
    tid = pauses["tid"].to_numpy()
    start = np.maximum(pauses["start"].to_numpy(), created[tid])
    stop = pauses["stop"].to_numpy()
    stop = np.where(np.isnat(end[tid]), stop, np.minimum(stop, end[tid]))
    hours = np.zeros(len(tid))
    for name in pd.unique(names[tid]):
        chosen = names[tid] == name
        hours[chosen] = clock_named(name, settings).hours_between(start[chosen], stop[chosen])
    np.add.at(total, tid, np.nan_to_num(hours))
    return total


def _measured(tickets: list[dict], names: np.ndarray, created: np.ndarray, end: np.ndarray,
              paused_hours: np.ndarray, computed: set[str], settings: dict) -> list:
    """Per ticket, the resolution hours the clock measured, or None where the file's (or the
    dates' plain difference, on the 24x7 clock with no pause) stands."""
    measured: list = [None] * len(tickets)
    wanted = np.array([
        (source_of(t) in computed)
        or (t.get("resolution_hours_from") == "dates"
            and (names[i] != ALWAYS or paused_hours[i] > 0))
        for i, t in enumerate(tickets)])
    wanted &= ~np.isnat(created) & ~np.isnat(end)
    for name in pd.unique(names[wanted]):
        chosen = np.flatnonzero(wanted & (names == name))
        hours = clock_named(name, settings).hours_between(created[chosen], end[chosen])
        for position, value in zip(chosen, np.maximum(hours - paused_hours[chosen], 0.0)):
            measured[position] = float(value)
    return measured


def _set_outcomes(ticket: dict, measured: float | None, computed: set[str],
                  settings: dict) -> None:
    """The hours the figures use and, where our targets judge them, the outcomes."""
    targets = settings["sla_targets"].get(ticket.get("priority") or "", {})
    if source_of(ticket) in computed:
        ticket["hours_source"], ticket["worked_hours"] = "clock", measured
        ticket["resolution_sla"] = judged(measured, targets.get("resolution"))
        ticket["response_sla"] = judged(ticket.get("response_hours"), targets.get("response"))
    elif measured is not None:
        ticket["hours_source"], ticket["worked_hours"] = "clock", measured
        if not ticket.get("resolution_sla_in_file"):
            ticket["resolution_sla"] = judged(measured, targets.get("resolution"))
    else:
        ticket["hours_source"], ticket["worked_hours"] = "file", None


def judged(hours: float | None, target: float | None) -> str | None:
    """Met when the hours are at most the target; None when either is unknown."""
    if hours is None or target is None:
        return None
    return "met" if hours <= target else "breached"
