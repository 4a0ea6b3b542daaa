"""The JSON API under /api/v1/: the CLI's ``--json`` answers over HTTP, beside the pages.

``routes()`` are Starlette routes; ``app.py`` hands them to ``st.App``, so the API is served
by the same process and port as the pages (``streamlit run app.py``). The route table
``ENDPOINTS`` is the one description of the API: the handlers, the parameter checks, the
OpenAPI document (``/api/v1/openapi.json``) and the docs page (``/api/v1/docs``) are all
made from it.

Every request but the two documents needs a personal token (``sla.tokens``) as
``Authorization: Bearer …``; its owner's role at that moment decides what it may read. The
order of the checks is fixed: token (401), rate limit (429), role (403), parameters (422).
Every error is a JSON body ``{"error": "one sentence"}``. Answers are kept per data version
in this process (``sla.answers.CACHE``): a repeated question costs one small database read.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from pymongo.errors import PyMongoError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from sla import answers, config, export, fields, metrics, store, tokens
from sla.changes import ChangesError
from sla.config import ConfigError
from sla.metrics import Filters

PREFIX = "/api/v1"
API_VERSION = "1.0.0"
RATE_WINDOW_S = 60.0
MAX_TEXT = 200
IMPORT_ID = re.compile(r"[0-9a-f]{24}")
JSON_TYPE = "application/json"
log = logging.getLogger("sla")


class ApiError(Exception):
    """An answer that is an error: its status, one sentence, and any extra headers."""

    def __init__(self, status: int, message: str, headers: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


# ---------------------------------------------------------------- parameters

@dataclass(frozen=True)
class Param:
    """A query parameter: its JSON Schema type, whether it repeats, its allowed values."""

    name: str
    kind: str  # "date", "string", "integer", "boolean"
    help: str
    repeated: bool = False
    choices: tuple = ()
    default: object = None
    low: int | None = None
    high: int | None = None

    def schema(self) -> dict:
        one: dict = {"date": {"type": "string", "format": "date"}}.get(self.kind,
                                                                       {"type": self.kind})
        if self.choices:
            one = {**one, "enum": list(self.choices)}
        if self.kind == "string" and not self.choices:
            one = {**one, "minLength": 1, "maxLength": MAX_TEXT}
        if self.low is not None:
            one = {**one, "minimum": self.low}
        if self.high is not None:
            one = {**one, "maximum": self.high}
        if self.default is not None:
            one = {**one, "default": self.default}
        return {"type": "array", "items": one} if self.repeated else one

    def parse(self, texts: list[str]) -> object:
        """The value of this parameter from its texts in the query; ApiError 422 when bad."""
        if not texts:
            return () if self.repeated else self.default
        if not self.repeated and len(texts) > 1:
            raise ApiError(422, f"{self.name} may be given once only.")
        values = tuple(self._one(text) for text in texts)
        return values if self.repeated else values[0]

    def _one(self, text: str) -> object:
        shown = text if len(text) <= 40 else text[:39] + "…"
        if self.choices and text not in self.choices:
            raise ApiError(422, f"{self.name} must be one of {', '.join(map(str, self.choices))}, "
                                f"not {shown!r}.")
        if self.kind == "date":
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                raise ApiError(422, f"{self.name} must be a date (YYYY-MM-DD), not {shown!r}.") \
                    from None
        if self.kind == "integer":
            if not re.fullmatch(r"[0-9]{1,9}", text) or not self.low <= int(text) <= self.high:
                raise ApiError(422, f"{self.name} must be a whole number from {self.low} to "
                                    f"{self.high}, not {shown!r}.")
            return int(text)
        if self.kind == "boolean":
            if text.lower() not in ("true", "false", "1", "0"):
                raise ApiError(422, f"{self.name} must be true or false, not {shown!r}.")
            return text.lower() in ("true", "1")
        if not text.strip() or len(text) > MAX_TEXT:
            raise ApiError(422, f"{self.name} must be 1 to {MAX_TEXT} characters.")
        return text


DATES = (Param("from", "date", "Created on or after this day (YYYY-MM-DD)."),
         Param("to", "date", "Created on or before this day (YYYY-MM-DD)."))
SELECTIONS = (
    Param("team", "string", "Team; repeat for several.", repeated=True, choices=fields.TEAMS),
    Param("priority", "string", "Priority (P1 .. P5, or a file's own word); repeat for several.",
          repeated=True),
    Param("agent", "string", "Agent (resolved by), as written in the data; repeat for several.",
          repeated=True),
    Param("status", "string", "Status class.", choices=fields.STATUS_CLASSES))
FILTERS = DATES + SELECTIONS


def filters_of(values: dict) -> Filters:
    """The Filters of parsed parameters (the same as the CLI's ``filters_from``)."""
    start, end = values.get("from"), values.get("to")
    if start and end and start > end:
        raise ApiError(422, "from must not be after to.")
    return Filters(date_from=start, date_to=end, teams=values.get("team", ()),
                   priorities=values.get("priority", ()), agents=values.get("agent", ()),
                   status_class=values.get("status"))


# ---------------------------------------------------------------- response schemas

NUMBER = {"type": ["number", "null"]}
INTEGER = {"type": "integer"}
TEXT = {"type": ["string", "null"]}
WHEN = {"type": ["string", "null"], "format": "date-time"}


def _figure(key: str) -> dict:
    """The schema of a figure by its name (counts are integers, the rest may be null)."""
    if key == "fair_rank":
        return {"type": ["integer", "null"]}
    if key == "score":
        return {"type": "number"}
    return INTEGER if key in ("total_tickets", "resolved", "pending", "breaches", "tickets") \
        or key.endswith(("_met", "_breached")) else NUMBER


def _row(keys: list[str], text_keys: dict) -> dict:
    """An object with exactly ``keys``: those in ``text_keys`` with their schema, the rest
    figures."""
    return {"type": "object", "required": list(keys),
            "properties": {k: text_keys.get(k) or _figure(k) for k in keys}}


def _rows(keys: list[str], text_keys: dict) -> dict:
    return {"type": "array", "items": _row(keys, text_keys)}


PERFORMER = _row(["agent", "total_tickets", "response_sla_pct", "resolution_sla_pct", "score"],
                 {"agent": {"type": "string"}})
SUMMARY_SCHEMA = {**_row(answers.SUMMARY_KEYS, {
    "pending_by_team": {"type": "object", "additionalProperties": INTEGER},
    "top_performers": {"type": "array", "items": PERFORMER}})}
TREND_SCHEMA = {"type": "array", "items": {"oneOf": [
    _row(answers.trend_keys("week"), {"week": {"type": "string"},
                                      "week_start": {"type": "string", "format": "date"}}),
    _row(answers.trend_keys("month"), {"month": {"type": "string"},
                                       "start": {"type": "string", "format": "date"}})]}}
TICKET_SCHEMA = _row(answers.TICKET_KEYS, {
    **{k: TEXT for k in answers.TICKET_KEYS},
    "created": WHEN, "resolved_at": WHEN, "response_hours": NUMBER, "resolution_hours": NUMBER})
AT_RISK_SCHEMA = {"type": "object", "required": ["as_of", "clock", "tickets"], "properties": {
    "as_of": WHEN, "clock": {"enum": ["data", "import"]},
    "tickets": _rows(["sr_number", "priority", "team", "resolved_by", "status", "created",
                      "age_hours", "target_hours", "hours_left"],
                     {"sr_number": {"type": "string"}, "priority": TEXT, "team": TEXT,
                      "resolved_by": TEXT, "status": TEXT, "created": WHEN})}}
HANDOFF_ROW = {"type": "object",
               "required": ["team", "tickets", "hours_held", "median_hours_held", "handoffs_in",
                            "handoffs_out", "breaches_owned"],
               "properties": {"team": {"type": "string"}, "team_raw": {"type": "string"},
                              "tickets": INTEGER, "hours_held": {"type": "number"},
                              "median_hours_held": NUMBER, "handoffs_in": INTEGER,
                              "handoffs_out": INTEGER, "breaches_owned": INTEGER}}
HANDOFFS_SCHEMA = {"type": "object", "required": ["as_of", "level", "tickets", "teams"],
                   "properties": {"as_of": WHEN, "level": {"enum": ["team", "raw team"]},
                                  "tickets": INTEGER, "tickets_handed_off": INTEGER,
                                  "tickets_left_out": INTEGER, "approximate": {"type": "boolean"},
                                  "hours_open": {"type": "number"},
                                  "teams": {"type": "array", "items": HANDOFF_ROW}}}
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
TOKEN_SCHEMA = {"type": "object", "required": ["tokens"], "properties": {"tokens": {
    "type": "array", "items": {"type": "object", "required": ["id", "username", "created_at"],
                               "properties": {"id": {"type": "string"},
                                              "username": {"type": "string"},
                                              "name": {"type": "string"}, "created_at": WHEN,
                                              "created_by": TEXT, "last_used_at": WHEN,
                                              "revoked_at": WHEN, "revoked_by": TEXT}}}}}


# ---------------------------------------------------------------- the route table

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
    return export.to_csv_bytes(export.tickets_frame(db, filters_of(values)))


def _changes(db, values: dict) -> dict:
    for name in ("from_import", "to_import"):
        if values.get(name) and not IMPORT_ID.fullmatch(values[name]):
            raise ApiError(422, f"{name} must be an import id (24 hexadecimal characters).")
    try:
        return answers.changes(db, filters_of(values), values.get("from_import"),
                               values.get("to_import"))
    except ChangesError as exc:
        raise ApiError(404, _sentence(str(exc))) from None


def _token_list(db, values: dict) -> dict:
    return {"tokens": tokens.list_tokens(db)}


PAGE = (Param("page", "integer", "Page number, from 1.", default=1, low=1, high=10**9),
        Param("page_size", "integer", "Tickets per page.", default=answers.DEFAULT_PAGE_SIZE,
              low=1, high=answers.MAX_PAGE_SIZE))
IMPORTS = (Param("from_import", "string", "The earlier import's id (default: the one before "
                                          "the latest that changed data)."),
           Param("to_import", "string", "The later import's id (default: the latest)."))

ENDPOINTS = (
    Endpoint("/summary", "summary", "Headline figures",
             lambda db, v: answers.summary(db, filters_of(v)), SUMMARY_SCHEMA),
    Endpoint("/teams", "teams", "Figures per team",
             lambda db, v: answers.teams(db, filters_of(v)),
             _rows(answers.TEAM_KEYS, {"team": {"type": "string"}})),
    Endpoint("/agents", "agents", "Figures per agent, with score and fair ranking",
             lambda db, v: answers.agents_json(db, filters_of(v)),
             _rows(answers.AGENT_KEYS, {"agent": {"type": "string"}})),
    Endpoint("/trend", "trend", "Figures per ISO week (Monday start) or calendar month",
             lambda db, v: answers.trend(db, filters_of(v), v["period"]), TREND_SCHEMA,
             params=FILTERS + (Param("period", "string", "Week or month.",
                                     choices=metrics.PERIODS, default="week"),)),
    Endpoint("/priorities", "priorities", "Figures per priority",
             lambda db, v: answers.priorities(db, filters_of(v)),
             _rows(answers.PRIORITY_KEYS, {"priority": {"type": "string"}})),
    Endpoint("/at-risk", "at_risk", "Pending tickets close to or past their resolution target",
             lambda db, v: answers.at_risk(db, filters_of(v)), AT_RISK_SCHEMA,
             description="Ages are measured at the data's clock, as on the Dashboard."),
    Endpoint("/handoffs", "handoffs", "Hours each team held the tickets, hand-offs, breaches owned",
             lambda db, v: answers.handoffs(db, filters_of(v), v["raw"]), HANDOFFS_SCHEMA,
             params=FILTERS + (Param("raw", "boolean", "Per raw team name, not per team.",
                                     default=False),)),
    Endpoint("/changes", "changes", "What moved the figures between two imports",
             _changes, CHANGES_SCHEMA, params=SELECTIONS + IMPORTS, errors=(404,),
             description="404 when there are not two imports to compare."),
    Endpoint("/tickets", "tickets", "The filtered tickets, newest created first, a page at a time",
             lambda db, v: answers.tickets(db, filters_of(v), v["page"], v["page_size"]),
             PAGE_SCHEMA, params=FILTERS + PAGE,
             description="A page past the last one has no tickets."),
    Endpoint("/tickets.csv", "tickets_csv", "The filtered tickets as CSV",
             _tickets_csv, {"type": "string"}, media_type="text/csv", cached=False,
             description="UTF-8 with BOM, display-name headers, formula-like cells neutralised "
                         "with a leading apostrophe (as the app's downloads)."),
    Endpoint("/tokens", "tokens", "Every API token (never the tokens themselves); admins only",
             _token_list, TOKEN_SCHEMA, params=(), role="admin", cached=False),
)
BY_PATH = {PREFIX + e.path: e for e in ENDPOINTS}


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


# ---------------------------------------------------------------- the database and the limit

class _Database:
    """The process's one connection for the API, made when first needed."""

    def __init__(self) -> None:
        self._db = None
        self._lock = threading.Lock()

    def get(self):
        if self._db is None:
            with self._lock:
                if self._db is None:
                    database = store.connect()
                    tokens.ensure_indexes(database)
                    self._db = database
        return self._db


DATABASE = _Database()


class RateLimit:
    """At most ``limit`` requests per token in any RATE_WINDOW_S seconds, in this process."""

    def __init__(self, limit: int | None = None) -> None:
        self._limit = limit
        self._seen: dict[str, deque] = {}
        self._lock = threading.Lock()

    @property
    def limit(self) -> int:
        if self._limit is None:
            self._limit = max(1, int(config.number("SLA_API_RATE_LIMIT")))
        return self._limit

    def check(self, key: str, now: float | None = None) -> None:
        """Count a request of ``key``; ApiError 429 (with Retry-After) when over the limit."""
        now = time.monotonic() if now is None else now
        with self._lock:
            seen = self._seen.setdefault(key, deque())
            while seen and seen[0] <= now - RATE_WINDOW_S:
                seen.popleft()
            if len(seen) >= self.limit:
                wait = max(1, math.ceil(seen[0] + RATE_WINDOW_S - now))
                raise ApiError(429, f"Too many requests with this token: at most {self.limit} "
                                    f"a minute; try again in {wait} s.",
                               {"Retry-After": str(wait)})
            seen.append(now)


RATE_LIMIT = RateLimit()


# ---------------------------------------------------------------- handling a request

def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _values(endpoint: Endpoint, request: Request) -> dict:
    known = {p.name for p in endpoint.params}
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        takes = ", ".join(sorted(known)) or "no parameters"
        raise ApiError(422, f"Unknown parameter {unknown[0][:40]!r}; this endpoint takes "
                            f"{takes}.")
    return {p.name: p.parse(request.query_params.getlist(p.name)) for p in endpoint.params}


def _question(endpoint: Endpoint, values: dict) -> tuple:
    return (endpoint.name, tuple(sorted(values.items())))


def serve(endpoint: Endpoint, request: Request) -> Response:
    """The answer to one request, after the checks, in the order the module says."""
    db = DATABASE.get()
    try:
        user = tokens.authenticate(db, _bearer(request))
    except tokens.TokenError as exc:
        raise ApiError(401, str(exc), {"WWW-Authenticate": "Bearer"}) from None
    RATE_LIMIT.check(user["token_id"])
    if endpoint.role == "admin" and user["role"] != "admin":
        raise ApiError(403, f"{endpoint.path.lstrip('/')} is for admins; this token acts for "
                            f"a {user['role']}.")
    values = _values(endpoint, request)
    if endpoint.media_type != JSON_TYPE:
        return Response(endpoint.answer(db, values), media_type=endpoint.media_type,
                        headers={"Content-Disposition": 'attachment; filename="tickets.csv"'})
    if not endpoint.cached:
        return _json(endpoint.answer(db, values))
    version = int(store.version_info(db)["value"])
    body = answers.CACHE.get(db, version, _question(endpoint, values),
                             lambda: answers.to_json(endpoint.answer(db, values), None).encode())
    return Response(body, media_type=JSON_TYPE)


def _json(value: object, status: int = 200, headers: dict | None = None) -> Response:
    return Response(answers.to_json(value, None).encode(), status_code=status,
                    media_type=JSON_TYPE, headers=headers)


def error(status: int, message: str, headers: dict | None = None) -> Response:
    return _json({"error": message}, status, headers)


def _handler(endpoint: Endpoint) -> Callable[[Request], Response]:
    """The Starlette handler of ``endpoint`` (synchronous: Starlette runs it in a thread)."""
    def handle(request: Request) -> Response:
        response = _answer_or_error(request)
        response.headers["Cache-Control"] = "no-store"  # answers are the token owner's
        return response

    def _answer_or_error(request: Request) -> Response:
        try:
            return serve(endpoint, request)
        except ApiError as exc:
            return error(exc.status, exc.message, exc.headers)
        except (PyMongoError, store.StoreError) as exc:
            log.warning("API %s: database unavailable: %r", request.url.path, exc)
            return error(503, "The database is unreachable right now; try again shortly.",
                         {"Retry-After": "5"})
        except ConfigError as exc:
            log.error("API %s: %s", request.url.path, exc)
            return error(500, "The API is misconfigured; the details are in the app's log.")
        except Exception:  # one sentence for the caller, the traceback for the log
            log.exception("API %s failed", request.url.path)
            return error(500, "Something unexpected went wrong; the details are in the app's "
                              "log.")
    handle.__name__ = f"api_{endpoint.name}"
    return handle


EVERY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _not_found(request: Request) -> Response:
    path = request.url.path
    if path in BY_PATH or path in (f"{PREFIX}/openapi.json", f"{PREFIX}/docs"):
        return error(405, f"{path} answers GET only.", {"Allow": "GET, HEAD"})
    return error(404, f"There is no {path[:80]} in this API; see {PREFIX}/docs.")


# ---------------------------------------------------------------- the documents

def openapi() -> dict:
    """The OpenAPI 3.1 document of ENDPOINTS."""
    paths = {PREFIX + e.path: {"get": _operation(e)} for e in ENDPOINTS}
    paths[f"{PREFIX}/openapi.json"] = {"get": {
        "operationId": "openapi", "summary": "This document", "security": [],
        "responses": {"200": {"description": "The OpenAPI document.",
                              "content": {JSON_TYPE: {"schema": {"type": "object"}}}}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "SLA Tracker API", "version": API_VERSION,
                 "description": "Read-only figures of the SLA Tracker, with the same filters "
                                "and the same keys as `./sla.sh … --json`. Send a personal "
                                "token (`./sla.sh token add USER`, or Settings) as "
                                "`Authorization: Bearer <token>`."},
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "required": ["error"],
                                  "properties": {"error": {"type": "string"}}}},
            "responses": {str(status): {"description": text, "content": {
                JSON_TYPE: {"schema": {"$ref": "#/components/schemas/Error"}}}}
                for status, text in ERRORS.items()}},
    }


ERRORS = {401: "No token, or an unknown or revoked one, or its user was removed.",
          403: "The token's user has not the role this endpoint needs.",
          404: "Nothing to answer (see the endpoint).",
          422: "A parameter is unknown or its value cannot be used.",
          429: "Over the rate limit of this token; Retry-After says when to try again.",
          503: "The database is unreachable right now."}


def _operation(endpoint: Endpoint) -> dict:
    statuses = [401, *([403] if endpoint.role == "admin" else []), *endpoint.errors, 422, 429,
                503]
    content = ({"text/csv": {"schema": {"type": "string"}}} if endpoint.media_type != JSON_TYPE
               else {JSON_TYPE: {"schema": endpoint.schema}})
    return {
        "operationId": endpoint.name, "summary": endpoint.summary,
        "description": " ".join(filter(None, [endpoint.description, f"Role: {endpoint.role}."])),
        "parameters": [{"name": p.name, "in": "query", "required": False,
                        "description": p.help, "schema": p.schema(),
                        **({"style": "form", "explode": True} if p.repeated else {})}
                       for p in endpoint.params],
        "responses": {"200": {"description": endpoint.summary + ".", "content": content},
                      **{str(s): {"$ref": f"#/components/responses/{s}"} for s in statuses}},
    }


def _openapi_response(request: Request) -> Response:
    return Response(json.dumps(openapi(), indent=2).encode(), media_type=JSON_TYPE)


DOCS_STYLE = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
              "padding:0 1rem;line-height:1.45;color:#1f2933}code,pre{background:#f1f3f5;"
              "padding:.1rem .3rem;border-radius:3px}pre{padding:.6rem;overflow-x:auto}"
              "table{border-collapse:collapse;margin:.4rem 0 1rem}td,th{border:1px solid #ccd;"
              "padding:.2rem .5rem;text-align:left;vertical-align:top}h2{margin-top:2rem;"
              "border-top:1px solid #dde;padding-top:1rem}")


def docs_html(document: dict | None = None) -> str:
    """The docs page: every operation of the OpenAPI document, escaped, with no script and
    nothing fetched from elsewhere."""
    document = document or openapi()
    e = html.escape
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>{e(document['info']['title'])}</title><style>{DOCS_STYLE}</style></head>"
             f"<body><h1>{e(document['info']['title'])} {e(document['info']['version'])}</h1>"
             f"<p>{e(document['info']['description'])}</p>"
             f"<p>Machine-readable: <a href='{PREFIX}/openapi.json'>{PREFIX}/openapi.json</a> "
             f"(OpenAPI 3.1). Errors are <code>{{\"error\": \"…\"}}</code>:</p><table>"]
    parts += [f"<tr><th>{status}</th><td>{e(text)}</td></tr>" for status, text in ERRORS.items()]
    parts.append("</table><pre>curl -H \"Authorization: Bearer $SLA_TOKEN\" "
                 f"\"https://sla.example.org{PREFIX}/summary?team=L2&amp;priority=P3\"</pre>")
    for path, item in document["paths"].items():
        operation = item["get"]
        parts.append(f"<h2 id='{e(operation['operationId'])}'>GET <code>{e(path)}</code></h2>"
                     f"<p>{e(operation['summary'])}. {e(operation.get('description', ''))}</p>")
        if operation.get("parameters"):
            parts.append("<table><tr><th>Parameter</th><th>Type</th><th>Meaning</th></tr>")
            for p in operation["parameters"]:
                parts.append(f"<tr><td><code>{e(p['name'])}</code></td>"
                             f"<td>{e(_type_text(p['schema']))}</td>"
                             f"<td>{e(p['description'])}</td></tr>")
            parts.append("</table>")
        answer = operation["responses"]["200"]["content"]
        kind, body = next(iter(answer.items()))
        keys = _keys_text(body["schema"])
        parts.append(f"<p>Answers <code>{e(kind)}</code>" + (f": {e(keys)}" if keys else "")
                     + ".</p>")
    parts.append("</body></html>")
    return "".join(parts)


def _type_text(schema: dict) -> str:
    if schema.get("type") == "array":
        return _type_text(schema["items"]) + ", repeatable"
    text = schema.get("format") or schema.get("type", "")
    if "enum" in schema:
        text += " (" + " | ".join(map(str, schema["enum"])) + ")"
    if "default" in schema:
        text += f", default {schema['default']}"
    return text


def _keys_text(schema: dict) -> str:
    if schema.get("type") == "array":
        items = schema["items"]
        inner = items.get("oneOf", [items])[0]
        return "a list of objects with " + ", ".join(inner.get("properties", {}))
    if "properties" in schema:
        return "an object with " + ", ".join(schema["properties"])
    return ""


DOCS_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
                "X-Content-Type-Options": "nosniff"}


def _docs_response(request: Request) -> Response:
    return HTMLResponse(docs_html(), headers=DOCS_HEADERS)


def routes() -> list[Route]:
    """The API's Starlette routes, for ``st.App(routes=...)``; the last one answers every
    other path under /api/ with a JSON 404 (or 405 for a known path and another method)."""
    table = [Route(PREFIX + e.path, _handler(e), methods=["GET"]) for e in ENDPOINTS]
    table += [Route(f"{PREFIX}/openapi.json", _openapi_response, methods=["GET"]),
              Route(f"{PREFIX}/docs", _docs_response, methods=["GET"]),
              Route("/api/{rest:path}", _not_found, methods=EVERY_METHOD)]
    return table
