"""The contract's metrics (section 7), computed over the read model with pandas.

Every function takes a ``Snapshot`` of the read model (``sla.readmodel``) or a pymongo
``Database`` (whose current snapshot is then used) and a ``Filters`` value, and returns
plain dicts and lists, the same as ``python -m sla ... --json`` prints. No function here
queries the tickets collection: a new filter costs a pass over in-memory columns, not a
database scan. ``sla.pipelines`` computes the same figures with aggregation pipelines over
the raw tickets; the tests compare the two.

Percentages are carried unrounded (to 4 decimals); pages round them to 1 decimal when they
show them. Medians are exact: an even count gives the mean of the two middle values.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sla import fairness, fields
from sla.readmodel import COUNTED, Snapshot

PCT_DECIMALS = 4
TOP_PERFORMERS = 5
AT_RISK_LIMIT = 200
LIVE_EXPORT_WINDOW = dt.timedelta(days=1)
PERIODS = ("week", "month")


@dataclass(frozen=True)
class Filters:
    """The filter bar: date range on created (inclusive), teams, priorities, agents, status."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    teams: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    status_class: str | None = None
    search: str | None = None  # text in SR number, agent, category, status or raw team

    def match(self) -> dict:
        """The $match document selecting the filtered tickets (for ``sla.pipelines``)."""
        query: dict = {}
        created: dict = {}
        if self.date_from:
            created["$gte"] = dt.datetime.combine(self.date_from, dt.time())
        if self.date_to:
            created["$lt"] = dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time())
        if created:
            query["created"] = created
        for name, values in (("team", self.teams), ("priority", self.priorities),
                             ("resolved_by", self.agents)):
            if values:
                query[name] = {"$in": list(values)}
        if self.status_class:
            query["status_class"] = self.status_class
        if self.search:
            query["$or"] = _search_terms(self.search)
        return query

    def select(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of a read model frame these filters keep (the frame itself when none)."""
        mask = np.ones(len(frame), dtype=bool)
        if self.date_from:
            mask &= (frame["created"] >= pd.Timestamp(self.date_from)).to_numpy()
        if self.date_to:
            end = pd.Timestamp(self.date_to + dt.timedelta(days=1))
            mask &= (frame["created"] < end).to_numpy()
        for name, values in (("team", self.teams), ("priority", self.priorities),
                             ("resolved_by", self.agents)):
            if values:
                mask &= frame[name].isin(values).to_numpy()
        if self.status_class:
            mask &= (frame["status_class"] == self.status_class).to_numpy()
        if self.search:
            mask &= _search_mask(frame, self.search.strip())
        return frame if mask.all() else frame[mask]


SEARCHED = ("sr_number", "resolved_by", "category", "status", "team_raw")


def _search_terms(text: str) -> list[dict]:
    pattern = {"$regex": re.escape(text.strip()), "$options": "i"}
    return [{name: pattern} for name in SEARCHED]


def _search_mask(frame: pd.DataFrame, text: str) -> np.ndarray:
    """Rows where any searched column contains ``text``, ignoring case."""
    mask = np.zeros(len(frame), dtype=bool)
    for name in SEARCHED:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):  # test each distinct value once
            categories = column.cat.categories.astype(str)
            hits = categories[categories.str.contains(text, case=False, regex=False)]
            mask |= column.isin(hits).to_numpy()
        else:
            mask |= column.str.contains(text, case=False, regex=False).fillna(False).to_numpy(bool)
    return mask


def pct(met: int, breached: int) -> float | None:
    """100 x met / (met + breached); None when nothing has an SLA outcome."""
    total = met + breached
    return round(100 * met / total, PCT_DECIMALS) if total else None


# ---------------------------------------------------------------- counting

def frame_of(source) -> pd.DataFrame:
    """The read model frame of a Snapshot, or of a Database's current data version."""
    if isinstance(source, Snapshot):
        return source.frame
    from sla import store  # the store needs this module's callers, not the other way round

    return store.snapshot(source).frame


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
        keep, keys, labels = codes >= 0, codes, by.cat.categories
    else:
        keep, keys, labels = by.notna().to_numpy(), by.to_numpy(), None
    table = frame[[*COUNTED, *HOURS]]
    groups = (table[keep] if not keep.all() else table).groupby(keys[keep], sort=False)
    sums, sizes = groups[list(COUNTED)].sum(), groups.size()
    hour_sums, hour_counts = groups[list(HOURS)].sum(), groups[list(HOURS)].count()
    medians = groups[list(HOURS)].median() if with_medians else None
    result = {}
    for key in sums.index:
        row = _counts(sizes[key], sums.loc[key], hour_sums.loc[key], hour_counts.loc[key])
        if medians is not None:
            for kind in ("response", "resolution"):
                row[f"median_{kind}_hours"] = _number(medians.at[key, f"{kind}_hours"])
        result[labels[key] if labels is not None else key] = row
    return result


# ---------------------------------------------------------------- public metrics

def summary(source, filters: Filters = Filters(), settings: dict | None = None) -> dict:
    """The dashboard's headline figures, with the keys of ``summary --json``."""
    frame = filters.select(frame_of(source))
    totals = total(frame)
    totals["pending_by_team"] = pending_by_team(frame)
    totals["top_performers"] = top_performers(_agent_rows(frame, settings, with_medians=False))
    return totals


def pending_by_team(frame: pd.DataFrame) -> dict[str, int]:
    """Pending tickets per team, always with the five teams as keys."""
    counts = {team: 0 for team in fields.TEAMS}
    pending = frame.loc[frame["status_class"] != "resolved", "team"]
    for team, n in pending.value_counts(sort=False).items():
        if n:
            counts[team] = counts.get(team, 0) + int(n)
    return counts


def teams(source, filters: Filters = Filters()) -> list[dict]:
    """Per team in the order L1, L2, Business, Other, Unassigned; empty teams left out."""
    frame = filters.select(frame_of(source))
    by_team = grouped(frame, frame["team"])
    order = list(fields.TEAMS) + sorted(set(by_team) - set(fields.TEAMS), key=str)
    return [{"team": team, **by_team[team]} for team in order if team in by_team]


def agents(source, filters: Filters = Filters(), settings: dict | None = None,
           with_medians: bool = True) -> list[dict]:
    """Per agent (resolved_by), with score and the fair ranking (``sla.fairness``); ordered
    like the top performers."""
    return _agent_rows(filters.select(frame_of(source)), settings, with_medians, fair=True)


def _agent_rows(frame: pd.DataFrame, settings: dict | None, with_medians: bool,
                fair: bool = False) -> list[dict]:
    weights = (settings or fields.DEFAULT_SETTINGS)["score"]
    named = frame[frame["resolved_by"].notna() & (frame["resolved_by"] != "")]
    groups = grouped(named, named["resolved_by"], with_medians)
    result = [{"agent": name, **row, "score": score(row, weights)} for name, row in groups.items()]
    result.sort(key=_performer_order)
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


def _performer_order(row: dict):
    return (-row["score"], -row["total_tickets"], row["agent"])


def top_performers(agent_rows: list[dict], limit: int = TOP_PERFORMERS) -> list[dict]:
    keys = ("agent", "total_tickets", "response_sla_pct", "resolution_sla_pct", "score")
    best = sorted((r for r in agent_rows if r["score"] > 0), key=_performer_order)[:limit]
    return [{k: r[k] for k in keys} for r in best]


def week_start(created: pd.Series) -> pd.Series:
    """The Monday 00:00 that starts each date's ISO week (NaT stays NaT)."""
    return created.dt.normalize() - pd.to_timedelta(created.dt.day_of_week, unit="D")


def month_start(created: pd.Series) -> pd.Series:
    """The first day 00:00 of each date's month (NaT stays NaT)."""
    return created.dt.to_period("M").dt.to_timestamp()


def trend(source, filters: Filters = Filters(), period: str = "week") -> list[dict]:
    """Per ISO week (Monday start) or calendar month of created: tickets and both SLA
    percentages, oldest first."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
    frame = filters.select(frame_of(source))
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


def priorities(source, filters: Filters = Filters()) -> list[dict]:
    """Per priority (P1..P5 first, other values after, empty as 'None')."""
    frame = filters.select(frame_of(source))
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


def pending_by_status(source, filters: Filters = Filters()) -> list[dict]:
    """Pending tickets per team and raw status."""
    frame = filters.select(frame_of(source))
    return _count_by(frame[frame["status_class"] == "pending"], ["team", "status"], "(empty)")


def raw_teams(source, filters: Filters = Filters()) -> list[dict]:
    """Which raw team names fed each normalised team, most tickets first."""
    frame = filters.select(frame_of(source))
    return _count_by(frame, ["team", "team_raw"], "(empty)")


def data_clock(source, imported_at: dt.datetime | None) -> dict:
    """The time the held data speaks for: {"at": datetime or None, "basis": "data" | "import"}.

    That is the latest timestamp the tickets carry (created or resolved), so an export from
    last month is read as of last month, not as of today. When that latest timestamp lies
    within LIVE_EXPORT_WINDOW of the latest import (a live export, taken just before it was
    uploaded), the import time is used instead: it is later and just as true. Timestamps
    after the import (bad dates in a file) are not trusted as the clock.
    """
    frame = frame_of(source)
    latest = _plain(pd.concat([frame["created"], frame["resolved_at"]]).max()) \
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


def at_risk(source, filters: Filters, settings: dict, now: dt.datetime,
            limit: int = AT_RISK_LIMIT) -> list[dict]:
    """Pending tickets older than ``at_risk_fraction`` of their priority's resolution
    target, least time left first.

    Age is measured at ``now``: the app passes the data clock (``data_clock``), so an old
    export does not make every ticket look late.
    """
    fraction = settings["at_risk_fraction"]
    frame = filters.select(frame_of(source))
    targets = {p: t["resolution"] for p, t in settings["sla_targets"].items()}
    pending = frame[(frame["status_class"] == "pending") & frame["created"].notna()
                    & frame["priority"].isin(list(targets))]
    target = pending["priority"].astype(object).map(targets).astype("float64")
    age = (pd.Timestamp(now) - pending["created"]).dt.total_seconds() / 3600
    late = age > target * fraction
    rows = pd.DataFrame({"sr_number": pending["sr_number"], "priority": pending["priority"],
                         "team": pending["team"], "resolved_by": pending["resolved_by"],
                         "status": pending["status"], "created": pending["created"],
                         "age_hours": age, "target_hours": target,
                         "hours_left": target - age})[late.to_numpy()]
    rows = rows.sort_values(["hours_left", "sr_number"]).head(limit)
    return [{k: _plain(v) for k, v in row.items()} for row in rows.to_dict("records")]


def _plain(value):
    """A Python value for JSON and tables: None for missing, datetime for timestamps."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def data_span(source) -> dict:
    """Ticket count and the first and last created date held."""
    frame = frame_of(source)
    created = frame["created"]
    return {"tickets": len(frame), "first": _plain(created.min()), "last": _plain(created.max())}


def agent_names(source) -> list[str]:
    names = frame_of(source)["resolved_by"].dropna().unique()
    return sorted(str(n) for n in names if n)


def priority_names(source) -> list[str]:
    """The priorities held, P1..P5 first."""
    names = {str(p) for p in frame_of(source)["priority"].dropna().unique() if p}
    return sorted(names, key=lambda p: (p not in fields.PRIORITIES, p))
