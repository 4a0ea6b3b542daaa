"""The contract's metrics (section 7) as MongoDB aggregation pipelines over raw tickets.

The reference implementation: pages and the CLI use ``sla.analytics.metrics`` over the read model,
and the tests check that both give the same figures. Every function takes a pymongo
``Database`` and a ``Filters`` value and returns plain dicts or lists, with the same keys as
``sla.analytics.metrics``; the grouping, counting and medians run inside the database.
"""

from __future__ import annotations

import datetime as dt
import re

from pymongo.database import Database

from sla.analytics.metrics import pct, performer_order, score, top_performers, week_rows
from sla.core import fields
from sla.core.filters import SEARCHED, Filters


def _named(field_name: str) -> dict:
    """The field's value, None when it is missing or empty."""
    value = {"$ifNull": [f"${field_name}", ""]}
    return {"$cond": [{"$eq": [value, ""]}, None, value]}


# The agent a ticket is credited to (docs/metrics.md, "Per agent").
AGENT = {"$cond": [{"$eq": ["$status_class", "resolved"]},
                   {"$ifNull": [_named("resolved_by"), _named("owner")]},
                   {"$ifNull": [_named("owner"), _named("resolved_by")]}]}


def _agent_in(names: list[str]) -> dict:
    """A query (no $expr) for the tickets credited to one of ``names``."""
    empty = [None, ""]

    def first_else(first: str, second: str) -> dict:
        return {"$or": [{first: {"$in": names}},
                        {first: {"$in": empty}, second: {"$in": names}}]}
    return {"$or": [{"status_class": "resolved", **first_else("resolved_by", "owner")},
                    {"status_class": {"$ne": "resolved"}, **first_else("owner", "resolved_by")}]}


def match(filters: Filters) -> dict:
    """The $match document selecting the filtered tickets."""
    query: dict = {}
    created: dict = {}
    if filters.date_from:
        created["$gte"] = dt.datetime.combine(filters.date_from, dt.time())
    if filters.date_to:
        created["$lt"] = dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time())
    if created:
        query["created"] = created
    for name, values in (("team", filters.teams), ("priority", filters.priorities)):
        if values:
            query[name] = {"$in": list(values)}
    if filters.agents:
        query["$and"] = [_agent_in(list(filters.agents))]
    if filters.status_class:
        query["status_class"] = filters.status_class
    if filters.search:
        pattern = {"$regex": re.escape(filters.search.strip()), "$options": "i"}
        query["$or"] = [{name: pattern} for name in SEARCHED]
    return query


def _week(date_field: str = "$created") -> dict:
    return {"$dateTrunc": {"date": date_field, "unit": "week", "startOfWeek": "monday"}}


def _count_if_number(field_name: str) -> dict:
    return {"$sum": {"$cond": [{"$isNumber": f"${field_name}"}, 1, 0]}}


CUBE_KEY = {"team": "$team", "priority": "$priority", "agent": AGENT,
            "status_class": "$status_class", "response_sla": "$response_sla",
            "resolution_sla": "$resolution_sla", "week": _week()}


def cube(db: Database, filters: Filters = Filters()) -> list[dict]:
    """One pass over the filtered tickets: counts and hour sums per combination of the
    dimensions every view groups by (team, priority, agent, status class, both SLA outcomes,
    ISO week). Summary, teams, agents, priorities and trend are roll-ups of these few
    thousand cells, so a page costs one scan of the tickets instead of one per view."""
    pipeline = [
        {"$match": match(filters)},
        {"$group": {"_id": CUBE_KEY, "tickets": {"$sum": 1},
                    "response_sum": {"$sum": "$response_hours"},
                    "response_n": _count_if_number("response_hours"),
                    "resolution_sum": {"$sum": "$resolution_hours"},
                    "resolution_n": _count_if_number("resolution_hours")}},
    ]
    rows = []
    for row in db.tickets.aggregate(pipeline, allowDiskUse=True):
        rows.append({**{k: row["_id"].get(k) for k in CUBE_KEY}, "tickets": row["tickets"],
                     "response_sum": row["response_sum"], "response_n": row["response_n"],
                     "resolution_sum": row["resolution_sum"], "resolution_n": row["resolution_n"]})
    return rows


def rollup(cells: list[dict], by: str | None = None) -> dict:
    """Counts, SLA percentages and averages per value of ``by`` (None: one total row)."""
    groups: dict = {}
    for cell in cells:
        key = cell[by] if by else None
        group = groups.setdefault(key, {"total_tickets": 0, "resolved": 0, "pending": 0,
                                        "response_met": 0, "response_breached": 0,
                                        "resolution_met": 0, "resolution_breached": 0,
                                        "breaches": 0, "_rs": 0.0, "_rn": 0, "_xs": 0.0,
                                        "_xn": 0})
        n = cell["tickets"]
        group["total_tickets"] += n
        group["resolved" if cell["status_class"] == "resolved" else "pending"] += n
        for kind in ("response", "resolution"):
            if cell[f"{kind}_sla"] in ("met", "breached"):
                group[f"{kind}_{cell[f'{kind}_sla']}"] += n
        if "breached" in (cell["response_sla"], cell["resolution_sla"]):
            group["breaches"] += n
        group["_rs"] += cell["response_sum"]
        group["_rn"] += cell["response_n"]
        group["_xs"] += cell["resolution_sum"]
        group["_xn"] += cell["resolution_n"]
    for group in groups.values():
        group["response_sla_pct"] = pct(group["response_met"], group["response_breached"])
        group["resolution_sla_pct"] = pct(group["resolution_met"], group["resolution_breached"])
        response_sum, resolution_sum = group.pop("_rs"), group.pop("_xs")
        group["avg_response_hours"] = response_sum / group["_rn"] if group["_rn"] else None
        group["avg_resolution_hours"] = resolution_sum / group["_xn"] if group["_xn"] else None
        del group["_rn"], group["_xn"]
    return groups


def medians(db: Database, filters: Filters = Filters(), by: str | None = None) -> dict:
    """Exact median response and resolution hours per ``by`` (a ticket field or None).

    The values are collected and sorted inside the database; only the medians come back.
    An even count gives the mean of the two middle values.
    """
    def median_of(values: str) -> dict:
        sorted_values = {"$sortArray": {"input": {"$filter": {
            "input": values, "cond": {"$isNumber": "$$this"}}}, "sortBy": 1}}
        half = {"$divide": [{"$size": "$$v"}, 2]}
        middle = {"$arrayElemAt": ["$$v", {"$toInt": {"$floor": half}}]}
        lower = {"$arrayElemAt": ["$$v", {"$toInt": {"$subtract": [half, 1]}}]}
        return {"$let": {"vars": {"v": sorted_values}, "in": {"$switch": {"branches": [
            {"case": {"$eq": [{"$size": "$$v"}, 0]}, "then": None},
            {"case": {"$eq": [{"$mod": [{"$size": "$$v"}, 2]}, 1]}, "then": middle}],
            "default": {"$avg": [lower, middle]}}}}}

    pipeline = [
        {"$match": match(filters)},
        {"$group": {"_id": (AGENT if by == "agent" else f"${by}") if by else None,
                    "response": {"$push": "$response_hours"},
                    "resolution": {"$push": "$resolution_hours"}}},
        {"$project": {"median_response_hours": median_of("$response"),
                      "median_resolution_hours": median_of("$resolution")}},
    ]
    return {row.pop("_id"): row for row in db.tickets.aggregate(pipeline, allowDiskUse=True)}


EMPTY_COUNTS = {"total_tickets": 0, "resolved": 0, "pending": 0, "response_met": 0,
                "response_breached": 0, "resolution_met": 0, "resolution_breached": 0,
                "breaches": 0, "avg_response_hours": None, "avg_resolution_hours": None,
                "median_response_hours": None, "median_resolution_hours": None,
                "response_sla_pct": None, "resolution_sla_pct": None}
NO_MEDIANS = {"median_response_hours": None, "median_resolution_hours": None}


def _with_medians(groups: dict, found: dict) -> dict:
    return {key: {**group, **found.get(key, NO_MEDIANS)} for key, group in groups.items()}


# ---------------------------------------------------------------- public metrics

def summary(db: Database, filters: Filters = Filters(), settings: dict | None = None,
            cells: list[dict] | None = None) -> dict:
    """The dashboard's headline figures, with the keys of ``summary --json``."""
    cells = cube(db, filters) if cells is None else cells
    totals = {**EMPTY_COUNTS, **rollup(cells).get(None, {})}
    totals.update(medians(db, filters).get(None, NO_MEDIANS))
    totals["pending_by_team"] = pending_by_team(cells)
    totals["top_performers"] = top_performers(agents(db, filters, settings, cells=cells,
                                                     with_medians=False))
    return totals


def pending_by_team(cells: list[dict]) -> dict[str, int]:
    """Pending tickets per team, always with the five teams as keys."""
    counts = {team: 0 for team in fields.TEAMS}
    for cell in cells:
        if cell["status_class"] == "pending":
            counts[cell["team"]] = counts.get(cell["team"], 0) + cell["tickets"]
    return counts


def teams(db: Database, filters: Filters = Filters(), cells: list[dict] | None = None) -> list[dict]:
    """Per team in the order L1, L2, Business, Other, Unassigned; empty teams left out."""
    cells = cube(db, filters) if cells is None else cells
    by_team = _with_medians(rollup(cells, "team"), medians(db, filters, "team"))
    order = list(fields.TEAMS) + sorted(set(by_team) - set(fields.TEAMS), key=str)
    return [{"team": team, **by_team[team]} for team in order if team in by_team]


def agents(db: Database, filters: Filters = Filters(), settings: dict | None = None,
           cells: list[dict] | None = None, with_medians: bool = True) -> list[dict]:
    """Per agent (``AGENT``), with score; ordered like the top performers."""
    weights = (settings or fields.DEFAULT_SETTINGS)["score"]
    cells = cube(db, filters) if cells is None else cells
    groups = rollup([c for c in cells if c["agent"]], "agent")
    if with_medians:
        groups = _with_medians(groups, medians(db, filters, "agent"))
    result = [{"agent": name, **row, "score": score(row, weights)} for name, row in groups.items()]
    result.sort(key=performer_order)
    return result


def trend(db: Database, filters: Filters = Filters(), cells: list[dict] | None = None) -> list[dict]:
    """Per ISO week (Monday start) of created: tickets and both SLA percentages."""
    cells = cube(db, filters) if cells is None else cells
    return week_rows(rollup([c for c in cells if c["week"] is not None], "week"))


def priorities(db: Database, filters: Filters = Filters(),
               cells: list[dict] | None = None) -> list[dict]:
    """Per priority (P1..P5 first, other values after, empty as 'None')."""
    cells = cube(db, filters) if cells is None else cells
    groups = rollup(cells, "priority")
    known = {p: i for i, p in enumerate(fields.PRIORITIES)}
    rows = [{"priority": key or "None", **row} for key, row in groups.items()]
    return sorted(rows, key=lambda r: (known.get(r["priority"], 99), r["priority"]))


def pending_by_status(db: Database, filters: Filters = Filters()) -> list[dict]:
    """Pending tickets per team and raw status."""
    pipeline = [{"$match": {**match(filters), "status_class": "pending"}},
                {"$group": {"_id": {"team": "$team", "status": "$status"}, "tickets": {"$sum": 1}}},
                {"$sort": {"tickets": -1}}]
    return [{"team": r["_id"]["team"], "status": r["_id"].get("status") or "(empty)",
             "tickets": r["tickets"]} for r in db.tickets.aggregate(pipeline)]


def raw_teams(db: Database, filters: Filters = Filters()) -> list[dict]:
    """Which raw team names fed each normalised team, most tickets first."""
    pipeline = [{"$match": match(filters)},
                {"$group": {"_id": {"team": "$team", "raw": "$team_raw"}, "tickets": {"$sum": 1}}},
                {"$sort": {"tickets": -1}}]
    return [{"team": r["_id"]["team"], "team_raw": r["_id"].get("raw") or "(empty)",
             "tickets": r["tickets"]} for r in db.tickets.aggregate(pipeline)]


def risk_lists(db: Database, filters: Filters, settings: dict, at: dt.datetime,
               limit: int = 200) -> dict:
    """Open tickets overdue or at risk at ``at`` on the 24x7 clock, each list least time left
    first, with the counts (``sla.analytics.risk.risk_lists``).

    Elapsed time is wall time from created to ``at`` less the hours paused before; a ticket
    paused now is in neither list.
    """
    branches = [{"case": {"$eq": ["$priority", p]}, "then": t["resolution"]}
                for p, t in settings["sla_targets"].items()]
    paused = sorted({name.strip().lower() for name in settings.get("paused_statuses") or []})
    status = {"$toLower": {"$trim": {"input": {"$ifNull": ["$status", ""]}}}}
    worked = {"$max": [0.0, {"$subtract": [
        {"$divide": [{"$subtract": [at, "$created"]}, 3_600_000]},
        {"$ifNull": ["$paused_hours", 0.0]}]}]}
    fraction, margin = settings["at_risk_fraction"], settings["at_risk_hours"]
    row = {"_id": 0, "state": 1, "sr_number": 1, "priority": 1, "team": 1, "agent": AGENT,
           "status": 1, "created": 1, "calendar": "24x7", "worked_hours": 1,
           "target_hours": 1, "hours_left": 1}

    def chosen(state: str) -> list[dict]:
        return [{"$match": {"state": state}}, {"$sort": {"hours_left": 1, "sr_number": 1}},
                {"$limit": limit}, {"$project": row}]
    pipeline = [
        {"$match": {**match(filters), "status_class": "pending", "created": {
            **match(filters).get("created", {}), "$type": "date"}}},
        {"$set": {"target_hours": {"$switch": {"branches": branches, "default": None}},
                  "paused_now": {"$in": [status, paused]}}},
        {"$match": {"target_hours": {"$ne": None}}},
        {"$set": {"measured": {"$not": ["$paused_now"]}}},
        {"$set": {"worked_hours": worked}},
        {"$set": {"hours_left": {"$subtract": ["$target_hours", "$worked_hours"]}}},
        {"$set": {"state": {"$switch": {"branches": [
            {"case": {"$not": ["$measured"]}, "then": None},
            {"case": {"$lt": ["$hours_left", 0]}, "then": "overdue"},
            {"case": {"$or": [
                {"$gte": ["$worked_hours", {"$multiply": ["$target_hours", fraction]}]},
                {"$lte": ["$hours_left", margin]}]}, "then": "at risk"}],
            "default": None}}}},
        {"$facet": {"overdue": chosen("overdue"), "at risk": chosen("at risk"),
                    "counts": [{"$group": {"_id": "$state", "n": {"$sum": 1}}}],
                    "paused": [{"$match": {"paused_now": True}}, {"$count": "n"}]}}]
    result = next(db.tickets.aggregate(pipeline))
    counts = {row["_id"]: row["n"] for row in result["counts"]}
    return {"as_of": at, "tickets": result["overdue"] + result["at risk"],
            "counts": {"overdue": counts.get("overdue", 0), "at_risk": counts.get("at risk", 0),
                       "paused": result["paused"][0]["n"] if result["paused"] else 0}}


def data_span(db: Database) -> dict:
    """Ticket count and the first and last created date held."""
    pipeline = [{"$group": {"_id": None, "tickets": {"$sum": 1}, "first": {"$min": "$created"},
                            "last": {"$max": "$created"}}},
                {"$project": {"_id": 0}}]
    rows = list(db.tickets.aggregate(pipeline))
    return rows[0] if rows else {"tickets": 0, "first": None, "last": None}


def agent_names(db: Database) -> list[str]:
    names = db.tickets.aggregate([{"$group": {"_id": AGENT}}])
    return sorted(row["_id"] for row in names if row["_id"])
