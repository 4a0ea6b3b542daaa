"""The route table: every GET endpoint of the API, what it answers, with which parameters,
for which role, and the schema of its answer. The handlers, the parameter checks, the OpenAPI
document and the docs page are all made from ``ENDPOINTS``."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sla.analytics import export, metrics
from sla.analytics.changes import ChangesError
from sla.api.schemas import (
    AT_RISK_SCHEMA,
    BACKLOG_SCHEMA,
    CHANGES_SCHEMA,
    HANDOFFS_SCHEMA,
    PAGE_SCHEMA,
    PEOPLE_SCHEMA,
    RULES_SCHEMA,
    SUMMARY_SCHEMA,
    TOKEN_SCHEMA,
    TREND_SCHEMA,
    rows_schema,
)
from sla.core import filters
from sla.core.params import Param
from sla.service import accounts, answers, queries, reports

PREFIX = "/api/v1"
IMPORT_ID = re.compile(r"[0-9a-f]{24}")
JSON_TYPE = "application/json"
VIEW = Param("view", "string", "A saved view's name: its filters apply, under any given here "
              "(the token owner's own view of that name, else the shared one).")
FILTERS = filters.PARAMS + (VIEW,)


class ApiError(Exception):
    """An answer that is an error: its status, one sentence, and any extra headers."""

    def __init__(self, status: int, message: str, headers: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}



@dataclass(frozen=True)
class Endpoint:
    """One GET endpoint: what it answers (``answer(db, values)``), with what parameters, for
    which role, and the schema of its answer."""

    path: str
    name: str
    summary: str
    answer: Callable[[object, dict], object]
    schema: dict
    params: tuple[Param, ...] = FILTERS
    role: str = "viewer"
    media_type: str = JSON_TYPE
    cached: bool = True
    description: str = ""
    errors: tuple[int, ...] = field(default=())


def _tickets_csv(db, values: dict) -> bytes:
    return export.to_csv_bytes(queries.tickets_frame(db, values["filters"]))


def _changes(db, values: dict) -> dict:
    for name in ("from_import", "to_import"):
        if values.get(name) and not IMPORT_ID.fullmatch(values[name]):
            raise ApiError(422, f"{name} must be an import id (24 hexadecimal characters).")
    try:
        return answers.changes(db, values["filters"], values.get("from_import"),
                               values.get("to_import"))
    except ChangesError as exc:
        raise ApiError(404, _sentence(str(exc))) from None


def _people(db, values: dict) -> list[dict]:
    if not values.get("name"):
        return answers.people(db)
    row = answers.person(db, values["name"])
    if row is None:
        raise ApiError(404, f"name: “{values['name']}” is not in the agents directory.")
    return [row]


def _token_list(db, values: dict) -> dict:
    return {"tokens": accounts.list_tokens(db)}


PAGE = (Param("page", "integer", "Page number, from 1.", default=1, low=1, high=10**9),
        Param("page_size", "integer", "Tickets per page.", default=answers.DEFAULT_PAGE_SIZE,
              low=1, high=answers.MAX_PAGE_SIZE))
IMPORTS = (Param("from_import", "string", "The earlier import's id (default: the one before "
                                          "the latest that changed data)."),
           Param("to_import", "string", "The later import's id (default: the latest)."))

ENDPOINTS = (
    Endpoint("/summary", "summary", "Headline figures",
             lambda db, v: answers.summary(db, v["filters"]), SUMMARY_SCHEMA),
    Endpoint("/teams", "teams", "Figures per team",
             lambda db, v: answers.teams(db, v["filters"]),
             rows_schema(answers.TEAM_KEYS, {"team": {"type": "string"}})),
    Endpoint("/agents", "agents", "Figures per agent, with score and fair ranking",
             lambda db, v: answers.agents_json(db, v["filters"]),
             rows_schema(answers.AGENT_KEYS, {"agent": {"type": "string"}})),
    Endpoint("/trend", "trend", "Figures per ISO week (Monday start) or calendar month",
             lambda db, v: answers.trend(db, v["filters"], v["period"]), TREND_SCHEMA,
             params=FILTERS + (Param("period", "string", "Week or month.",
                                     choices=metrics.PERIODS, default="week"),)),
    Endpoint("/priorities", "priorities", "Figures per priority",
             lambda db, v: answers.priorities(db, v["filters"]),
             rows_schema(answers.PRIORITY_KEYS, {"priority": {"type": "string"}})),
    Endpoint("/at-risk", "at_risk", "Open tickets past or close to their resolution target",
             lambda db, v: answers.at_risk(db, v["filters"]), AT_RISK_SCHEMA,
             description="Overdue and at-risk tickets in working hours of each ticket's "
                         "calendar, paused time left out; measured now when the data is a "
                         "live export imported within a day, else at the data's clock, as "
                         "on the Dashboard."),
    Endpoint("/backlog", "backlog", "Each owner's open tickets by age, overdue and at risk",
             lambda db, v: answers.backlog(db, v["filters"]), BACKLOG_SCHEMA,
             description="Open tickets per owner (the agent of an open ticket), by calendar "
                         "days since created, measured at the same moment as /at-risk."),
    Endpoint("/handoffs", "handoffs", "Hours each team held the tickets, hand-offs, breaches owned",
             lambda db, v: answers.handoffs(db, v["filters"], v["raw"], v["working"]),
             HANDOFFS_SCHEMA,
             params=FILTERS + (Param("raw", "boolean", "Per raw team name, not per team.",
                                     default=False),
                               Param("working", "boolean", "Working hours of each ticket's "
                                     "calendar, not wall-clock hours.", default=False))),
    Endpoint("/changes", "changes", "What moved the figures between two imports",
             _changes, CHANGES_SCHEMA, params=filters.SELECTIONS + IMPORTS, errors=(404,),
             description="404 when there are not two imports to compare."),
    Endpoint("/tickets", "tickets", "The filtered tickets, newest created first, a page at a time",
             lambda db, v: answers.tickets(db, v["filters"], v["page"], v["page_size"]),
             PAGE_SCHEMA, params=FILTERS + PAGE,
             description="A page past the last one has no tickets."),
    Endpoint("/tickets.csv", "tickets_csv", "The filtered tickets as CSV",
             _tickets_csv, {"type": "string"}, media_type="text/csv", cached=False,
             description="UTF-8 with BOM, display-name headers, formula-like cells neutralised "
                         "with a leading apostrophe (as the app's downloads)."),
    Endpoint("/report.xlsx", "report_xlsx", "The view's report as an Excel workbook",
             lambda db, v: reports.report_workbook(db, v["filters"]), {"type": "string",
                                                                        "format": "binary"},
             media_type=reports.MEDIA_TYPE, cached=False,
             description="Sheets Summary (the filters in words, the headline figures), Teams, "
                         "Agents, Trend, Overdue and At risk; real Excel dates and numbers, "
                         "formula-like text neutralised with a leading apostrophe."),
    Endpoint("/people", "people", "The agents directory: everyone seen as resolver or owner",
             _people, PEOPLE_SCHEMA, errors=(404,),
             params=(Param("name", "string", "One person, by name or alias."),),
             description="Read-only: change it on the People page or with ./sla.sh people. "
                         "Aliases are listed on their person; team is the team an admin set, "
                         "else the team of most of their tickets."),
    Endpoint("/rules", "rules", "The rules in force behind every figure (read-only)",
             lambda db, v: answers.rules(db), RULES_SCHEMA, params=(),
             description="Change them on the Settings page or with ./sla.sh settings set."),
    Endpoint("/tokens", "tokens", "Every API token (never the tokens themselves); admins only",
             _token_list, TOKEN_SCHEMA, params=(), role="admin", cached=False),
)
BY_PATH = {PREFIX + e.path: e for e in ENDPOINTS}


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return (text[:1].upper() + text[1:]).rstrip(".") + "."
