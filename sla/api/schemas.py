"""The JSON Schemas of the API's answers (served in its OpenAPI document), made from the
answers' own key lists so that the two cannot drift apart."""

from __future__ import annotations

from sla.core.rules import DEFAULT_SETTINGS
from sla.service import answers

NUMBER = {"type": ["number", "null"]}
INTEGER = {"type": "integer"}
TEXT = {"type": ["string", "null"]}
WHEN = {"type": ["string", "null"], "format": "date-time"}


def figure_schema(key: str) -> dict:
    """The schema of a figure by its name (counts are integers, the rest may be null)."""
    if key == "fair_rank":
        return {"type": ["integer", "null"]}
    if key == "score":
        return {"type": "number"}
    return INTEGER if key in ("total_tickets", "resolved", "pending", "breaches", "tickets") \
        or key.endswith(("_met", "_breached")) else NUMBER


def row_schema(keys: list[str], text_keys: dict) -> dict:
    """An object with exactly ``keys``: those in ``text_keys`` with their schema, the rest
    figures."""
    return {"type": "object", "required": list(keys),
            "properties": {k: text_keys.get(k) or figure_schema(k) for k in keys}}


def rows_schema(keys: list[str], text_keys: dict) -> dict:
    return {"type": "array", "items": row_schema(keys, text_keys)}


PERFORMER = row_schema(["agent", "total_tickets", "response_sla_pct", "resolution_sla_pct", "score"],
                 {"agent": {"type": "string"}})
SUMMARY_SCHEMA = {**row_schema(answers.SUMMARY_KEYS, {
    "pending_by_team": {"type": "object", "additionalProperties": INTEGER},
    "top_performers": {"type": "array", "items": PERFORMER}})}
TREND_SCHEMA = {"type": "array", "items": {"oneOf": [
    row_schema(answers.trend_keys("week"), {"week": {"type": "string"},
                                      "week_start": {"type": "string", "format": "date"}}),
    row_schema(answers.trend_keys("month"), {"month": {"type": "string"},
                                       "start": {"type": "string", "format": "date"}})]}}
TICKET_SCHEMA = row_schema(answers.TICKET_KEYS, {
    **{k: TEXT for k in answers.TICKET_KEYS},
    "created": WHEN, "resolved_at": WHEN, "response_hours": NUMBER, "resolution_hours": NUMBER})
AT_RISK_SCHEMA = {
    "type": "object", "required": ["as_of", "clock", "tickets", "counts"], "properties": {
        "as_of": WHEN, "clock": {"enum": ["now", "data", "import"]},
        "counts": {"type": "object", "required": ["overdue", "at_risk", "paused"],
                   "properties": {"overdue": INTEGER, "at_risk": INTEGER, "paused": INTEGER}},
        "tickets": rows_schema(["state", "sr_number", "priority", "team", "agent",
                                "status", "created", "calendar", "worked_hours",
                                "target_hours", "hours_left"],
                               {"state": {"enum": ["overdue", "at risk"]},
                                "sr_number": {"type": "string"}, "priority": TEXT,
                                "team": TEXT, "agent": TEXT, "status": TEXT,
                                "created": WHEN, "calendar": TEXT})}}
BACKLOG_ROW = {"type": "object", "required": answers.BACKLOG_KEYS,
               "properties": {key: TEXT if key == "agent" else INTEGER
                              for key in answers.BACKLOG_KEYS}}
BACKLOG_SCHEMA = {
    "type": "object", "required": ["as_of", "clock", "agents", "total"], "properties": {
        "as_of": WHEN, "clock": {"enum": ["now", "data", "import"]},
        "agents": {"type": "array", "items": BACKLOG_ROW},
        "total": {"oneOf": [BACKLOG_ROW, {"type": "null"}]}}}
HANDOFF_ROW = {"type": "object",
               "required": ["team", "tickets", "hours_held", "median_hours_held", "handoffs_in",
                            "handoffs_out", "breaches_owned"],
               "properties": {"team": {"type": "string"}, "team_raw": {"type": "string"},
                              "tickets": INTEGER, "hours_held": {"type": "number"},
                              "median_hours_held": NUMBER, "handoffs_in": INTEGER,
                              "handoffs_out": INTEGER, "breaches_owned": INTEGER}}
TRANSFER_ROW = {"type": "object", "required": ["from", "to", "handoffs", "median_hours_before"],
                "properties": {"from": {"type": "string"}, "to": {"type": "string"},
                               "handoffs": INTEGER, "median_hours_before": {"type": "number"}}}
HANDOFFS_SCHEMA = {"type": "object", "required": ["as_of", "level", "tickets", "teams"],
                   "properties": {"as_of": WHEN, "level": {"enum": ["team", "raw team"]},
                                  "hours": {"enum": ["wall", "working"]},
                                  "tickets": INTEGER, "tickets_handed_off": INTEGER,
                                  "tickets_left_out": INTEGER, "approximate": {"type": "boolean"},
                                  "hours_open": {"type": "number"},
                                  "teams": {"type": "array", "items": HANDOFF_ROW},
                                  "transfers": {"type": "array", "items": TRANSFER_ROW}}}
IMPORT_SCHEMA = {"type": "object", "required": ["id", "at", "file_name"],
                 "properties": {"id": {"type": "string"}, "at": WHEN, "file_name": TEXT}}
MOVE_SCHEMA = {"type": "object", "required": ["before", "after", "change", "contributions"],
               "properties": {"before": NUMBER, "after": NUMBER, "change": NUMBER,
                              "contributions": {"type": "array", "items": {
                                  "type": "object",
                                  "required": ["cause", "team", "priority", "tickets", "points"],
                                  "properties": {"cause": {"type": "string"}, "team": TEXT,
                                                 "priority": TEXT, "tickets": INTEGER,
                                                 "points": {"type": "number"}}}}}}
CHANGES_SCHEMA = {"type": "object",
                  "required": ["from", "to", "resolution_sla_pct", "response_sla_pct", "pending"],
                  "properties": {"from": IMPORT_SCHEMA, "to": IMPORT_SCHEMA,
                                 "resolution_sla_pct": MOVE_SCHEMA,
                                 "response_sla_pct": MOVE_SCHEMA, "pending": MOVE_SCHEMA}}
PAGE_SCHEMA = {"type": "object", "required": ["total", "page", "page_size", "pages", "tickets"],
               "properties": {"total": INTEGER, "page": INTEGER, "page_size": INTEGER,
                              "pages": INTEGER,
                              "tickets": {"type": "array", "items": TICKET_SCHEMA}}}
CALENDAR_SCHEMA = {"type": "object", "required": ["name", "timezone", "hours", "holidays"],
                   "properties": {"name": {"type": "string"}, "timezone": {"type": "string"},
                                  "hours": {"type": "array", "items": {"type": "string"}},
                                  "holidays": {"type": "array", "items": {"type": "string"}}}}
RULES_SCHEMA = {"type": "object", "required": list(DEFAULT_SETTINGS), "properties": {
    "calendars": {"type": "array", "items": CALENDAR_SCHEMA},
    "calendar": {"type": "string"},
    "team_calendars": {"type": "object", "additionalProperties": {"type": "string"}},
    "paused_statuses": {"type": "array", "items": {"type": "string"}},
    "computed_outcomes": {"type": "array", "items": {"type": "string"}}}}
TOKEN_SCHEMA = {"type": "object", "required": ["tokens"], "properties": {"tokens": {
    "type": "array", "items": {"type": "object", "required": ["id", "username", "created_at"],
                               "properties": {"id": {"type": "string"},
                                              "username": {"type": "string"},
                                              "name": {"type": "string"}, "created_at": WHEN,
                                              "created_by": TEXT, "last_used_at": WHEN,
                                              "revoked_at": WHEN, "revoked_by": TEXT}}}}}
PERSON_ROW = row_schema(answers.PEOPLE_KEYS, {
    "name": {"type": "string"}, "display_name": {"type": "string"}, "email": TEXT,
    "team": TEXT, "team_set": TEXT, "main_team": TEXT, "active": {"type": "boolean"},
    "aliases": {"type": "array", "items": {"type": "string"}}, "first_seen": WHEN,
    "last_seen": WHEN, "resolved": INTEGER, "open": INTEGER, "tickets": INTEGER})
PEOPLE_SCHEMA = {"type": "array", "items": PERSON_ROW}
