"""The backlog per owner: each person's open tickets by age, and how many of them are overdue
or at risk (docs/metrics.md, "Backlog per owner")."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from sla.analytics import risk
from sla.analytics.readmodel import Snapshot
from sla.core.filters import Filters
from sla.core.sla_clock import calendar_names, clock_named

# (key, label, first day, day after the last): ages in days on the wall clock.
AGE_BUCKETS = (("under_1_day", "Under 1 day", 0, 1), ("days_1_to_3", "1–3 days", 1, 3),
               ("days_3_to_7", "3–7 days", 3, 7), ("over_7_days", "Over 7 days", 7, np.inf))
AGE_KEYS = tuple(key for key, *_ in AGE_BUCKETS)
ROW_KEYS = ("agent", "open", *AGE_KEYS, "overdue", "at_risk", "paused")


def backlog(snapshot: Snapshot, filters: Filters, settings: dict, at: dt.datetime) -> dict:
    """Per owner of open tickets, most open first: open, open by age at ``at``, overdue, at
    risk and paused now (as ``risk.risk_lists`` counts them); and the same for the whole desk
    (``total``, owned or not)."""
    frame = filters.select(snapshot.frame)
    pending = frame[frame["status_class"] == "pending"]
    counts = _counts(pending, settings, at)
    owned = counts[counts["agent"].notna()]
    rows = owned.groupby("agent", observed=True, sort=False)[list(ROW_KEYS[1:])].sum()
    rows = rows.reset_index().sort_values(["open", "agent"], ascending=[False, True])
    total = {"agent": None, **{key: int(counts[key].sum()) for key in ROW_KEYS[1:]}}
    return {"as_of": risk.naive_utc(at), "agents": [_row(row) for row in
                                                    rows.to_dict("records")],
            "total": total}


def _counts(pending: pd.DataFrame, settings: dict, at: dt.datetime) -> pd.DataFrame:
    """One row per open ticket: its agent, 1 in ``open`` and in its age bucket, and 1 in
    ``overdue``, ``at_risk`` or ``paused`` where it is so."""
    ages = _age_days(pending, settings, at)
    columns = {"agent": pending["agent"].astype("string").to_numpy(), "open": 1}
    for key, _, first, last in AGE_BUCKETS:
        columns[key] = ((ages >= first) & (ages < last)).astype(int)
    measured = risk.measured_open(pending, settings, at)
    state = measured["state"].reindex(pending.index, fill_value="").to_numpy()
    paused = measured["paused_now"].reindex(pending.index, fill_value=False).to_numpy(bool)
    columns.update(overdue=(state == risk.OVERDUE).astype(int),
                   at_risk=(state == risk.AT_RISK).astype(int), paused=paused.astype(int))
    return pd.DataFrame(columns, index=pending.index)


def _age_days(tickets: pd.DataFrame, settings: dict, at: dt.datetime) -> np.ndarray:
    """Days from created to ``at`` on the wall clock, ``at`` read in the zone of each
    ticket's calendar (NaN without a created date; 0 for a created date after ``at``)."""
    created = tickets["created"].to_numpy(dtype="datetime64[ns]")
    names = calendar_names(tickets["team"].to_numpy(dtype=object), settings)
    ages = np.full(len(tickets), np.nan)
    for name in pd.unique(names):
        chosen = names == name
        moment = risk.local_moment(at, clock_named(name, settings).zone)
        ages[chosen] = (moment - created[chosen]) / np.timedelta64(1, "D")
    return np.where(ages < 0, 0.0, ages)


def _row(record: dict) -> dict:
    return {key: (str(record[key]) if key == "agent" else int(record[key])) for key in ROW_KEYS}
