"""Overdue and at-risk: the open tickets a manager can still act on, on the SLA clock.

Each open ticket's elapsed time is its working time (on its team's calendar) from created to
the moment measured at, less the time it spent in a paused status. Against its priority's
resolution target it is **overdue** once the elapsed time passed the target, and **at risk**
before that once it passed ``at_risk_fraction`` of the target or has at most
``at_risk_hours`` working hours left. A ticket paused now is in neither list: its clock stands
still (docs/metrics.md).

The moment measured at is the current time when the data is fresh (a live export imported
within the last day), else the data's clock, so an old export does not make every ticket look
late (``risk_clock``). The current time is given with its zone (UTC) and read on each
calendar in that calendar's zone, as the file's own times are; the data's clock is a time of
the data, naive like them.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from sla.analytics.metrics import LIVE_EXPORT_WINDOW, plain_value
from sla.analytics.readmodel import Snapshot
from sla.core.filters import Filters
from sla.core.sla_clock import calendar_names, clock_named, paused_set

LIST_LIMIT = 200  # rows per list; the counts stay exact
OVERDUE, AT_RISK = "overdue", "at risk"
ROW_KEYS = ("state", "sr_number", "priority", "team", "agent", "status", "created",
            "calendar", "worked_hours", "target_hours", "hours_left")


def risk_clock(clock: dict, current: dt.datetime) -> dict:
    """{"at", "basis"}: when the lists are measured. ``clock`` is the data's clock
    (``metrics.data_clock``); basis "now" when the data is a live export imported within
    LIVE_EXPORT_WINDOW of ``current``, else the data's own."""
    if clock["at"] is not None and clock["basis"] == "import" \
            and current - clock["at"] <= LIVE_EXPORT_WINDOW:
        return {"at": current, "basis": "now"}
    return dict(clock)


def risk_lists(snapshot: Snapshot, filters: Filters, settings: dict, at: dt.datetime,
               limit: int = LIST_LIMIT) -> dict:
    """The overdue and at-risk tickets measured at ``at``, each least time left first (at
    most ``limit`` each), as rows with ``ROW_KEYS``; and the counts of both and of the open
    tickets paused now."""
    measured = measured_open(filters.select(snapshot.frame), settings, at)
    overdue, risky = measured["state"] == OVERDUE, measured["state"] == AT_RISK
    lists = {name: measured[chosen].sort_values(["hours_left", "sr_number"])
             for name, chosen in ((OVERDUE, overdue), (AT_RISK, risky))}
    tickets = [_row(row) for name in (OVERDUE, AT_RISK)
               for row in lists[name].head(limit).to_dict("records")]
    return {"as_of": naive_utc(at), "tickets": tickets,
            "counts": {"overdue": int(overdue.sum()), "at_risk": int(risky.sum()),
                       "paused": int(measured["paused_now"].sum())}}


def watched(measured: pd.DataFrame | None, filters: Filters) -> pd.DataFrame:
    """The open tickets ``measured_open`` measured that the filters keep, least time left
    first, with ``ROW_KEYS`` and whether each is paused now: what the alerts of one view look
    at (sorted once for all its look-aheads). ``measured`` None (no ticket has a date): none."""
    if measured is None:
        return pd.DataFrame(columns=[*ROW_KEYS, "paused_now"])
    kept = filters.select(measured)
    return kept[[*ROW_KEYS, "paused_now"]].sort_values(["hours_left", "sr_number"])


def alert_lists(watching: pd.DataFrame, within_hours: float) -> dict[str, pd.DataFrame]:
    """Among the tickets ``watched`` gives: every overdue one, and every one (not paused) that
    passes its target within ``within_hours`` working hours; each a frame of ``ROW_KEYS``,
    least time left first (an alert names each ticket once, so there is no limit; ``rows``
    makes the ones it lists)."""
    paused = watching["paused_now"].to_numpy(dtype=bool)
    left = watching["hours_left"].to_numpy(dtype=float)
    soon = ~paused & (left >= 0) & (left <= within_hours)
    overdue = (watching["state"] == OVERDUE).to_numpy(dtype=bool)
    return {"overdue": watching.loc[overdue, list(ROW_KEYS)],
            "due_soon": watching.loc[soon, list(ROW_KEYS)]}


def rows(frame: pd.DataFrame) -> list[dict]:
    """A frame of ``ROW_KEYS`` as rows of plain values."""
    return [_row(record) for record in frame.to_dict("records")]


def measured_open(frame: pd.DataFrame, settings: dict, at: dt.datetime) -> pd.DataFrame:
    """The open tickets of ``frame`` with a created date and a resolution target, measured at
    ``at``: ``paused_now``, ``worked_hours``, ``hours_left`` and ``state`` (OVERDUE, AT_RISK,
    or empty; always empty for a ticket paused now)."""
    open_tickets = _open_with_target(frame, settings)
    statuses = open_tickets["status"].astype("string").str.strip().str.lower()
    paused_now = statuses.isin(paused_set(settings)).fillna(False).to_numpy(dtype=bool)
    worked = _worked_hours(open_tickets, settings, at)
    left = open_tickets["target_hours"].to_numpy() - worked
    overdue = ~paused_now & (left < 0)
    risky = ~paused_now & ~overdue & (
        (worked >= open_tickets["target_hours"].to_numpy() * settings["at_risk_fraction"])
        | (left <= settings["at_risk_hours"]))
    return open_tickets.assign(paused_now=paused_now, worked_hours=worked, hours_left=left,
                               state=np.select([overdue, risky], [OVERDUE, AT_RISK], ""))


def _open_with_target(frame: pd.DataFrame, settings: dict) -> pd.DataFrame:
    """Open tickets with a created date and a resolution target, with their target and
    calendar."""
    targets = {p: t["resolution"] for p, t in settings["sla_targets"].items()}
    chosen = frame[(frame["status_class"] == "pending") & frame["created"].notna()
                   & frame["priority"].isin(list(targets))]
    return chosen.assign(
        target_hours=chosen["priority"].astype(object).map(targets).astype("float64"),
        calendar=calendar_names(chosen["team"].to_numpy(dtype=object), settings))


def _worked_hours(tickets: pd.DataFrame, settings: dict, at: dt.datetime) -> np.ndarray:
    """Working hours from created to ``at``, less the hours paused before, on each ticket's
    calendar (``at`` read in the calendar's zone when it has one)."""
    created = tickets["created"].to_numpy(dtype="datetime64[ns]")
    worked = np.zeros(len(tickets))
    names = tickets["calendar"].to_numpy()
    for name in pd.unique(names):
        chosen = names == name
        clock = clock_named(name, settings)
        until = np.full(int(chosen.sum()), local_moment(at, clock.zone))
        worked[chosen] = clock.hours_between(created[chosen], until)
    paused = np.nan_to_num(tickets["paused_hours"].to_numpy(dtype="float64"))
    return np.maximum(worked - paused, 0.0)


def local_moment(at: dt.datetime, zone) -> np.datetime64:
    """``at`` as a naive time of ``zone`` (a naive ``at`` is a time of the data already)."""
    if at.tzinfo is not None:
        at = at.astimezone(zone).replace(tzinfo=None)
    return np.datetime64(pd.Timestamp(at).as_unit("ns"))


def naive_utc(at: dt.datetime) -> dt.datetime:
    if at.tzinfo is None:
        return at
    return at.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _row(record: dict) -> dict:
    return {key: plain_value(record.get(key)) for key in ROW_KEYS}
