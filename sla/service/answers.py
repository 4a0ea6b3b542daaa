"""The answers the CLI's ``--json`` prints and the JSON API serves, in one place.

Each function takes the database, the filters and the question's own options, and returns
plain dicts and lists with exactly the keys of ``python -m sla ... --json``; the API
(``sla.api``) serves the same values, so a figure read from either is the same figure.
The figures come from ``sla.service.queries``, the one path from the data to a figure that
the pages use too (and its one cache per data version).
"""

from __future__ import annotations

import datetime as dt
import json
import math

from pymongo.database import Database

from sla.analytics import backlog as owners
from sla.analytics import export
from sla.analytics.people import DIRECTORY_KEYS
from sla.core.calendars import ALWAYS_CALENDAR
from sla.core.filters import Filters, Known
from sla.core.sla_clock import calendar_name
from sla.core.teams import team_names as desk_team_names
from sla.service import queries

SUMMARY_KEYS = ["total_tickets", "resolved", "pending", "pending_by_team", "response_sla_pct",
                "resolution_sla_pct", "breaches", "avg_response_hours", "avg_resolution_hours",
                "median_response_hours", "median_resolution_hours", "response_met",
                "response_breached", "resolution_met", "resolution_breached", "top_performers"]
GROUP_COLUMNS = ["total_tickets", "resolved", "pending", "response_met", "response_breached",
                 "response_sla_pct", "resolution_met", "resolution_breached",
                 "resolution_sla_pct", "avg_response_hours", "avg_resolution_hours"]
FAIR_COLUMNS = [key for kind in ("resolution", "response") for key in (
    f"expected_{kind}_sla_pct", f"{kind}_vs_expected", f"{kind}_vs_expected_low",
    f"{kind}_vs_expected_high")] + ["fair_score", "fair_rank"]
TEAM_KEYS = ["team", *GROUP_COLUMNS]
AGENT_KEYS = ["agent", *GROUP_COLUMNS, "score", *FAIR_COLUMNS]
PRIORITY_KEYS = ["priority", *GROUP_COLUMNS]
BACKLOG_KEYS = list(owners.ROW_KEYS)
PEOPLE_KEYS = list(DIRECTORY_KEYS)
TREND_FIGURES = ["tickets", "response_sla_pct", "resolution_sla_pct"]
TICKET_KEYS = list(export.COLUMNS)
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100


def trend_keys(period: str) -> list[str]:
    """A trend row's keys: the period's name and start, then the figures."""
    head = [period, f"{period}_start"] if period == "week" else [period, "start"]
    return head + TREND_FIGURES


def _only(rows: list[dict], keys: list[str]) -> list[dict]:
    return [{k: row[k] for k in keys} for row in rows]


# ---------------------------------------------------------------- the answers

def summary(db: Database, filters: Filters = Filters()) -> dict:
    result = queries.summary(db, filters)
    return {k: result[k] for k in SUMMARY_KEYS}


def teams(db: Database, filters: Filters = Filters()) -> list[dict]:
    return _only(queries.teams(db, filters), TEAM_KEYS)


def agents(db: Database, filters: Filters = Filters()) -> list[dict]:
    """Per agent with score and fair ranking; the rows keep every key for the CLI's table."""
    return queries.agents(db, filters)


def agents_json(db: Database, filters: Filters = Filters()) -> list[dict]:
    return _only(agents(db, filters), AGENT_KEYS)


def trend(db: Database, filters: Filters = Filters(), period: str = "week") -> list[dict]:
    return _only(queries.trend(db, filters, period), trend_keys(period))


def priorities(db: Database, filters: Filters = Filters()) -> list[dict]:
    return _only(queries.priorities(db, filters), PRIORITY_KEYS)


def team_names(db: Database) -> tuple[str, ...]:
    """Every team in the order pages list them: the desk's (rule ``teams``), Other, Unassigned."""
    return desk_team_names(queries.settings(db))


def known_values(db: Database) -> Known:
    """What a filter may name here: the desk's teams, the priorities and agents held."""
    span = queries.data_span(db)
    return Known(teams=team_names(db), priorities=span["priorities"], agents=span["agents"])


def backlog(db: Database, filters: Filters = Filters()) -> dict:
    """Each owner's open tickets by age, overdue and at risk (``queries.backlog``)."""
    return queries.backlog(db, filters)


def at_risk(db: Database, filters: Filters = Filters()) -> dict:
    """The overdue and at-risk lists, as the Dashboard shows them (``queries.at_risk``)."""
    return queries.at_risk(db, filters)


def handoffs(db: Database, filters: Filters = Filters(), raw: bool = False,
             working: bool = False) -> dict:
    """Hours held per team (or raw team), measured at the data's clock; working hours of
    each ticket's calendar with ``working``."""
    return queries.handoffs(db, filters, raw, working=working)


def changes(db: Database, filters: Filters = Filters(), from_import: str | None = None,
            to_import: str | None = None) -> dict:
    """What moved the figures between two imports (``ChangesError`` when there is nothing
    to compare)."""
    return queries.changes(db, filters, from_import, to_import)


def tickets(db: Database, filters: Filters = Filters(), page: int = 1,
            page_size: int = DEFAULT_PAGE_SIZE) -> dict:
    """One page of the filtered tickets, newest created first (the order of the CSV export):
    {"total", "page", "page_size", "pages", "tickets"}; a page past the last is empty."""
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page starts at 1 and page_size is 1 to {MAX_PAGE_SIZE}")
    frame = queries.tickets_frame(db, filters)
    part = frame.iloc[(page - 1) * page_size: page * page_size]
    rows = part.astype(object).where(part.notna(), None).to_dict("records")
    return {"total": len(frame), "page": page, "page_size": page_size,
            "pages": math.ceil(len(frame) / page_size), "tickets": rows}


# ---------------------------------------------------------------- as JSON

def people(db: Database) -> list[dict]:
    """The agents directory (``PEOPLE_KEYS``), most tickets first."""
    return queries.people(db)


def person(db: Database, name: str) -> dict | None:
    """One person of the directory, found by their name or one of their aliases."""
    for row in queries.people(db):
        if row["name"] == name or name in row["aliases"]:
            return row
    return None


def to_json(value: object, indent: int | None = 2) -> str:
    """JSON as the CLI prints it: dates and times in ISO 8601, anything else odd as text."""
    return json.dumps(value, indent=indent, default=_json_default, ensure_ascii=False)


def _json_default(value: object):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


def calendars(db: Database) -> list[dict]:
    """Every calendar (the built-in 24x7 first) with the teams that use it."""
    settings = queries.settings(db)
    rows = [dict(ALWAYS_CALENDAR), *settings["calendars"]]
    for row in rows:
        row["teams"] = [team for team in desk_team_names(settings)
                        if calendar_name(team, settings) == row["name"]]
    return rows


def rules(db: Database) -> dict:
    """The rules in force (``docs/metrics.md``, "Rules")."""
    return queries.settings(db)
