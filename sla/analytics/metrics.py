"""The contract's metrics (section 7), computed over the read model with pandas.

Every function takes a ``Snapshot`` of the read model (``sla.analytics.readmodel``) and a
``Filters`` value, and returns plain dicts and lists, the same as ``python -m sla ... --json``
prints. Nothing here touches the database: a new filter costs a pass over in-memory columns,
not a database scan. The tests compute the same figures with aggregation pipelines over the
raw tickets (``tests/pipelines.py``) and compare the two.

Percentages are carried unrounded (to 4 decimals); pages round them to 1 decimal when they
show them. Medians are exact: an even count gives the mean of the two middle values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sla.analytics import fairness
from sla.analytics.readmodel import COUNTED, Snapshot
from sla.core import fields
from sla.core.filters import Filters
from sla.core.teams import team_names

PCT_DECIMALS = 4
TOP_PERFORMERS = 5
LIVE_EXPORT_WINDOW = dt.timedelta(days=1)
PERIODS = ("week", "month")


def pct(met: int, breached: int) -> float | None:
    """100 x met / (met + breached); None when nothing has an SLA outcome."""
    total = met + breached
    return round(100 * met / total, PCT_DECIMALS) if total else None


# ---------------------------------------------------------------- counting

HOURS = ("response_hours", "resolution_hours")


def _counts(size: int, sums, hour_sums, hour_counts) -> dict:
    """One group's figures, with the keys of ``summary --json``."""
    row = {"total_tickets": int(size), "resolved": int(sums["resolved"]),
           "pending": int(size - sums["resolved"])}
    for name in ("response_met", "response_breached", "resolution_met", "resolution_breached",
                 "breaches"):
        row[name] = int(sums[name])
    row["response_sla_pct"] = pct(row["response_met"], row["response_breached"])
    row["resolution_sla_pct"] = pct(row["resolution_met"], row["resolution_breached"])
    for kind in ("response", "resolution"):
        count = int(hour_counts[f"{kind}_hours"])
        row[f"avg_{kind}_hours"] = float(hour_sums[f"{kind}_hours"]) / count if count else None
    return row


def _number(value) -> float | None:
    return None if pd.isna(value) else float(value)


def total(frame: pd.DataFrame, with_medians: bool = True) -> dict:
    """The figures of all rows of ``frame`` as one group."""
    hours = frame[list(HOURS)]
    row = _counts(len(frame), frame[list(COUNTED)].sum(), hours.sum(), hours.count())
    if with_medians:
        for kind in ("response", "resolution"):
            row[f"median_{kind}_hours"] = _number(frame[f"{kind}_hours"].median())
    return row


def grouped(frame: pd.DataFrame, by: pd.Series, with_medians: bool = True) -> dict:
    """The figures per value of ``by`` (a column of ``frame`` or aligned with it; rows with
    no value are left out)."""
    if frame.empty:
        return {}
    if isinstance(by.dtype, pd.CategoricalDtype):  # group on the small integer codes
        codes = by.cat.codes.to_numpy()
        keep, keys, labels = codes >= 0, codes, by.cat.categories.tolist()
    else:
        keep, keys, labels = by.notna().to_numpy(), by.to_numpy(), None
    table = frame[[*COUNTED, *HOURS]]
    groups = (table[keep] if not keep.all() else table).groupby(keys[keep], sort=False)
    sums, sizes = groups[list(COUNTED)].sum(), groups.size()
    hour_sums, hour_counts = groups[list(HOURS)].sum(), groups[list(HOURS)].count()
    medians = groups[list(HOURS)].median() if with_medians else None
    # plain dicts, read once: a label look-up per group costs more than the grouping with
    # thousands of agents
    size_of, hour_sum_of = sizes.to_dict(), hour_sums.to_dict("index")
    hour_count_of = hour_counts.to_dict("index")
    median_of = medians.to_dict("index") if medians is not None else None
    result = {}
    for key, counted in sums.to_dict("index").items():
        row = _counts(size_of[key], counted, hour_sum_of[key], hour_count_of[key])
        if median_of is not None:
            for kind in ("response", "resolution"):
                row[f"median_{kind}_hours"] = _number(median_of[key][f"{kind}_hours"])
        result[labels[key] if labels is not None else key] = row
    return result


# ---------------------------------------------------------------- public metrics

def summary(snapshot: Snapshot, filters: Filters = Filters(), settings: dict | None = None,
            left: frozenset = frozenset()) -> dict:
    """The dashboard's headline figures, with the keys of ``summary --json``; people who
    ``left`` are not among the top performers."""
    frame = filters.select(snapshot.frame)
    totals = total(frame)
    totals["pending_by_team"] = pending_by_team(
        frame, team_names(settings or fields.DEFAULT_SETTINGS))
    totals["top_performers"] = top_performers(
        _agent_rows(_ranked(frame, left), settings, with_medians=False))
    return totals


def _ranked(frame: pd.DataFrame, left: frozenset) -> pd.DataFrame:
    """The rows of people who can be ranked: all but those who ``left``."""
    return frame[~frame["agent"].isin(left).to_numpy()] if left else frame


def pending_by_team(frame: pd.DataFrame, teams: Sequence[str] = fields.TEAMS) -> dict[str, int]:
    """Pending tickets per team, always with every one of ``teams`` as a key, in their order."""
    counts = {team: 0 for team in teams}
    pending = frame.loc[frame["status_class"] != "resolved", "team"]
    for team, n in pending.value_counts(sort=False).items():
        if n:
            counts[team] = counts.get(team, 0) + int(n)
    return counts


def teams(snapshot: Snapshot, filters: Filters = Filters(),
          names: Sequence[str] = fields.TEAMS) -> list[dict]:
    """Per team in the order of ``names`` (the desk's teams, Other, Unassigned; a team of
    older data no longer among them after those); empty teams left out."""
    frame = filters.select(snapshot.frame)
    by_team = grouped(frame, frame["team"])
    order = list(names) + sorted(set(by_team) - set(names), key=str)
    return [{"team": team, **by_team[team]} for team in order if team in by_team]


def agents(snapshot: Snapshot, filters: Filters = Filters(), settings: dict | None = None,
           with_medians: bool = True, left: frozenset = frozenset()) -> list[dict]:
    """Per agent (``agent``: the owner of an open ticket, the resolver of a resolved one),
    with score and the fair ranking (``sla.analytics.fairness``); ordered like the top
    performers. People who ``left`` are not ranked (their tickets still count elsewhere)."""
    return _agent_rows(_ranked(filters.select(snapshot.frame), left), settings, with_medians,
                       fair=True)


def _agent_rows(frame: pd.DataFrame, settings: dict | None, with_medians: bool,
                fair: bool = False) -> list[dict]:
    weights = (settings or fields.DEFAULT_SETTINGS)["score"]
    named = frame[frame["agent"].notna()]
    groups = grouped(named, named["agent"], with_medians)
    result = [{"agent": name, **row, "score": score(row, weights)} for name, row in groups.items()]
    result.sort(key=performer_order)
    return fairness.with_fair_ranking(result, named, weights) if fair else result


def score(row: dict, weights: dict) -> float:
    """Section 7's score; 0 under the minimum volume, a null percentage counting as 0."""
    total_tickets = row["total_tickets"]
    if total_tickets < weights["min_tickets"]:
        return 0.0
    value = (weights["resolution_weight"] * (row["resolution_sla_pct"] or 0.0)
             + weights["response_weight"] * (row["response_sla_pct"] or 0.0)
             + min(total_tickets - weights["min_tickets"], weights["volume_cap"]))
    return round(value, 2)


def performer_order(row: dict):
    return (-row["score"], -row["total_tickets"], row["agent"])


def top_performers(agent_rows: list[dict], limit: int = TOP_PERFORMERS) -> list[dict]:
    keys = ("agent", "total_tickets", "response_sla_pct", "resolution_sla_pct", "score")
    best = sorted((r for r in agent_rows if r["score"] > 0), key=performer_order)[:limit]
    return [{k: r[k] for k in keys} for r in best]


def week_start(created: pd.Series) -> pd.Series:
    """The Monday 00:00 that starts each date's ISO week (NaT stays NaT)."""
    return created.dt.normalize() - pd.to_timedelta(created.dt.day_of_week, unit="D")


def month_start(created: pd.Series) -> pd.Series:
    """The first day 00:00 of each date's month (NaT stays NaT)."""
    return created.dt.to_period("M").dt.to_timestamp()


def trend(snapshot: Snapshot, filters: Filters = Filters(), period: str = "week") -> list[dict]:
    """Per ISO week (Monday start) or calendar month of created: tickets and both SLA
    percentages, oldest first."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
    frame = filters.select(snapshot.frame)
    starts = (week_start if period == "week" else month_start)(frame["created"])
    figures = grouped(frame, starts, with_medians=False)
    return week_rows(figures) if period == "week" else month_rows(figures)


def week_rows(weeks: dict) -> list[dict]:
    """Trend rows from figures per week start, oldest first, named by ISO week."""
    rows = []
    for start in sorted(weeks):
        iso = start.isocalendar()
        label = f"{iso.year}-W{iso.week:02d}"
        rows.append({"week": label, "week_start": start.date(), "label": label,
                     "start": start.date(), "tickets": weeks[start]["total_tickets"],
                     **weeks[start]})
    return rows


def month_rows(months: dict) -> list[dict]:
    """Trend rows from figures per month start, oldest first, named like 2024-03."""
    return [{"month": f"{start:%Y-%m}", "label": f"{start:%Y-%m}", "start": start.date(),
             "tickets": months[start]["total_tickets"], **months[start]}
            for start in sorted(months)]


def suggested_period(first: dt.datetime | None, last: dt.datetime | None) -> str:
    """Months when the range held is longer than half a year, else weeks."""
    if first is None or last is None:
        return "week"
    return "month" if (last - first) > dt.timedelta(weeks=26) else "week"


def priorities(snapshot: Snapshot, filters: Filters = Filters()) -> list[dict]:
    """Per priority (P1..P5 first, other values after, empty as 'None')."""
    frame = filters.select(snapshot.frame)
    by_priority = grouped(frame, frame["priority"].astype(object).fillna("None")
                          .astype("category"), with_medians=False)
    known = {p: i for i, p in enumerate(fields.PRIORITIES)}
    rows = [{"priority": key, **row} for key, row in by_priority.items()]
    return sorted(rows, key=lambda r: (known.get(r["priority"], 99), r["priority"]))


def _count_by(frame: pd.DataFrame, names: list[str], empty: str) -> list[dict]:
    """Tickets per combination of ``names`` (the last one's missing values as ``empty``),
    most tickets first."""
    keyed = frame[names].astype(object)
    keyed[names[-1]] = keyed[names[-1]].where(keyed[names[-1]].notna(), empty)
    counts = keyed.value_counts(sort=False).reset_index(name="tickets")
    counts = counts.sort_values(["tickets", *names], ascending=[False] + [True] * len(names))
    return [{**{n: row[n] for n in names}, "tickets": int(row["tickets"])}
            for row in counts.to_dict("records")]


def pending_by_status(snapshot: Snapshot, filters: Filters = Filters()) -> list[dict]:
    """Pending tickets per team and raw status."""
    frame = filters.select(snapshot.frame)
    return _count_by(frame[frame["status_class"] == "pending"], ["team", "status"], "(empty)")


def raw_teams(snapshot: Snapshot, filters: Filters = Filters()) -> list[dict]:
    """Which raw team names fed each normalised team, most tickets first."""
    frame = filters.select(snapshot.frame)
    return _count_by(frame, ["team", "team_raw"], "(empty)")


def data_clock(snapshot: Snapshot, imported_at: dt.datetime | None) -> dict:
    """The time the held data speaks for: {"at": datetime or None, "basis": "data" | "import"}.

    That is the latest timestamp the tickets carry (created or resolved), so an export from
    last month is read as of last month, not as of today. When that latest timestamp lies
    within LIVE_EXPORT_WINDOW of the latest import (a live export, taken just before it was
    uploaded), the import time is used instead: it is later and just as true. Timestamps
    after the import (bad dates in a file) are not trusted as the clock.
    """
    frame = snapshot.frame
    latest = plain_value(pd.concat([frame["created"], frame["resolved_at"]]).max()) \
        if len(frame) else None
    return clock_of(latest, imported_at)


def clock_of(latest: dt.datetime | None, imported_at: dt.datetime | None) -> dict:
    """The clock of data whose latest timestamp is ``latest``, imported at ``imported_at``
    (see ``data_clock``)."""
    if imported_at is None:
        return {"at": latest, "basis": "data"}
    if latest is None or latest >= imported_at - LIVE_EXPORT_WINDOW:
        return {"at": imported_at, "basis": "import"}
    return {"at": latest, "basis": "data"}


def plain_value(value):
    """A Python value for JSON and tables: None for missing, datetime for timestamps."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def data_span(snapshot: Snapshot) -> dict:
    """Ticket count and the first and last created date held."""
    frame = snapshot.frame
    created = frame["created"]
    return {"tickets": len(frame), "first": plain_value(created.min()), "last": plain_value(created.max())}


def agent_names(snapshot: Snapshot) -> list[str]:
    names = snapshot.frame["agent"].dropna().unique()
    return sorted(str(n) for n in names if n)


def priority_names(snapshot: Snapshot) -> list[str]:
    """The priorities held, P1..P5 first."""
    names = {str(p) for p in snapshot.frame["priority"].dropna().unique() if p}
    return sorted(names, key=lambda p: (p not in fields.PRIORITIES, p))
