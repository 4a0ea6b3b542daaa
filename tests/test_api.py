"""The JSON API over real HTTP: ``streamlit run app.py`` (pages and API on one port) against a
store of its own, data and tokens made with the CLI, requests with urllib.

Covers the tokens (none, malformed, unknown, revoked, of a removed user: 401), the roles
(403), the same figures as ``./sla.sh … --json`` for the same filters, paging, the CSV's
neutralised formulas, 422 on bad parameters, 429 past the rate limit, the OpenAPI document
(validated, and every answer checked against its schema), the docs page, 404 and 405.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

import jsonschema
import openpyxl
import pytest
from openapi_spec_validator import validate

from sla import api
from sla.api.headers import SECURITY_HEADERS
from sla.service import demo, reports
from tests.e2e.conftest import (
    _stop_group,
    _wait_healthy,
    release_store,
    sla_cli,
    start_streamlit,
    store_env,
)

RATE_LIMIT = 40  # SLA_API_RATE_LIMIT of the test server: low enough to reach quickly
FORMULA_CATEGORY = "=1+2"
FORMULA_AGENT = "@SUM(A1)"


@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes

    def json(self):
        assert self.headers.get("content-type", "").startswith("application/json"), self.headers
        return json.loads(self.body)


@dataclass
class Server:
    url: str
    env: dict
    log: object

    def get(self, path: str, token: str | None = None, method: str = "GET",
            headers: dict | None = None) -> Answer:
        request = urllib.request.Request(self.url + path, method=method,
                                         headers={**({"Authorization": f"Bearer {token}"}
                                                     if token else {}), **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                return Answer(reply.status, {k.lower(): v for k, v in reply.headers.items()},
                              reply.read())
        except urllib.error.HTTPError as reply:
            return Answer(reply.code, {k.lower(): v for k, v in reply.headers.items()},
                          reply.read())

    def cli(self, *args: str, stdin: str | None = None) -> str:
        return sla_cli(self.env, *args, stdin=stdin)

    def cli_json(self, *args: str):
        return json.loads(self.cli(*args, "--json"))

    def token(self, user: str = "viewer") -> str:
        """A new token of ``user`` (each test its own, so each has its own rate window)."""
        (line,) = self.cli("token", "add", user).splitlines()
        return line


def exports() -> tuple[bytes, bytes]:
    """Two exports of the same desk a few weeks apart (CSV, so a cell starting with = stays
    text); the later one has a ticket whose category and agent look like formulas."""
    end = dt.date(2026, 10, 31)
    first = demo.generate_export(300, seed=5, end=end - dt.timedelta(days=21))
    second = demo.generate_export(340, seed=5, end=end)
    second.loc[0, "Assigned SR Category"] = FORMULA_CATEGORY
    second.loc[0, "Resolved By"] = FORMULA_AGENT
    return (first.to_csv(index=False).encode(), second.to_csv(index=False).encode())


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Server:
    """``streamlit run app.py`` on a free port against a fresh store holding two imports, an
    admin and a viewer; the API's rate limit lowered to RATE_LIMIT a minute."""
    tmp = tmp_path_factory.mktemp("api")
    env, mongo_uri = store_env(tmp)
    env["SLA_API_RATE_LIMIT"] = str(RATE_LIMIT)
    process, app = start_streamlit(env, tmp, "api")
    running = Server(app.url, env, app.log)
    try:
        _wait_healthy(app.url, process, app.log)
        for name, role in (("admin", "admin"), ("viewer", "viewer")):
            running.cli("user", "add", name, "--role", role, stdin="pass-word-1234\n")
        for index, content in enumerate(exports()):
            path = tmp / f"export-{index}.csv"
            path.write_bytes(content)
            running.cli("import", path)
        yield running
    finally:
        _stop_group(process)
        release_store(env, mongo_uri)


@pytest.fixture(scope="module")
def document(server) -> dict:
    """The server's OpenAPI document (fetched without a token)."""
    answer = server.get("/api/v1/openapi.json")
    assert answer.status == 200
    return answer.json()


def check_schema(document: dict, path: str, value) -> None:
    """``value`` is what the document promises for a 200 from GET ``path``."""
    schema = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    jsonschema.Draft202012Validator(schema["schema"]).validate(value)


def assert_error(answer: Answer, status: int) -> str:
    assert answer.status == status, (answer.status, answer.body[:300])
    body = answer.json()
    assert list(body) == ["error"] and isinstance(body["error"], str)
    message = body["error"]
    assert message.endswith(".") and "\n" not in message and "Traceback" not in message
    return message


# ---------------------------------------------------------------- the limit, without a server

def test_the_rate_limit_counts_a_sliding_minute_per_token():
    limit = api.RateLimit(limit=2)
    limit.check("a", now=100.0)
    limit.check("a", now=110.0)
    limit.check("b", now=110.0)
    with pytest.raises(api.ApiError) as refused:
        limit.check("a", now=130.0)
    assert refused.value.status == 429 and refused.value.headers == {"Retry-After": "30"}
    limit.check("a", now=160.5)  # the first request has left the window


# ---------------------------------------------------------------- tokens and roles

def test_no_token_or_a_bad_one_is_401(server):
    well_formed_unknown = "sla_0123abcd_" + "A" * 43
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"},
                    {"Authorization": "Bearer"}, {"Authorization": "Bearer not-a-token"},
                    {"Authorization": f"Bearer {well_formed_unknown}"}):
        answer = server.get("/api/v1/summary", headers=headers)
        assert_error(answer, 401)
        assert answer.headers["www-authenticate"] == "Bearer"


def test_a_revoked_token_is_401_and_the_users_other_token_still_works(server):
    kept, revoked = server.token(), server.token()
    assert server.get("/api/v1/summary", revoked).status == 200
    token_id = revoked.split("_")[1]
    assert server.cli("token", "remove", token_id).strip() == f"revoked {token_id}"
    assert_error(server.get("/api/v1/summary", revoked), 401)
    assert server.get("/api/v1/summary", kept).status == 200


def test_the_tokens_of_a_removed_user_stop_working(server):
    server.cli("user", "add", "leaver", "--role", "admin", stdin="pass-word-1234\n")
    token = server.token("leaver")
    assert server.get("/api/v1/tokens", token).status == 200
    server.cli("user", "remove", "leaver")
    assert_error(server.get("/api/v1/summary", token), 401)


def test_the_token_list_is_for_admins_and_never_holds_a_token(server, document):
    viewer, admin = server.token(), server.token("admin")
    message = assert_error(server.get("/api/v1/tokens", viewer), 403)
    assert "admin" in message
    answer = server.get("/api/v1/tokens", admin)
    assert answer.status == 200
    listed = answer.json()
    check_schema(document, "/api/v1/tokens", listed)
    ids = {t["id"] for t in listed["tokens"]}
    assert {viewer.split("_")[1], admin.split("_")[1]} <= ids
    assert viewer.encode() not in answer.body and admin.encode() not in answer.body
    assert b"digest" not in answer.body


# ---------------------------------------------------------------- the same figures as the CLI

SAME_AS_CLI = [  # (API path and query, CLI arguments)
    ("/summary", ["summary"]),
    ("/summary?team=L2&priority=P3", ["summary", "--team", "L2", "--priority", "P3"]),
    ("/summary?team=L1&team=Business&status=pending",
     ["summary", "--team", "L1", "--team", "Business", "--status", "pending"]),
    ("/summary?from=2026-09-01&to=2026-09-30", ["summary", "--from", "2026-09-01",
                                                "--to", "2026-09-30"]),
    ("/teams?priority=P2&priority=P3", ["teams", "--priority", "P2", "--priority", "P3"]),
    ("/agents?team=L2", ["agents", "--team", "L2"]),
    ("/trend", ["trend"]),
    ("/trend?period=month&status=resolved", ["trend", "--period", "month", "--status",
                                             "resolved"]),
    ("/priorities?team=L1", ["priorities", "--team", "L1"]),
    ("/at-risk?priority=P3", ["at-risk", "--priority", "P3"]),
    ("/backlog", ["backlog"]),
    ("/backlog?agent=Kofi%20Mensah", ["backlog", "--agent", "Kofi Mensah"]),
    ("/handoffs", ["handoffs"]),
    ("/handoffs?raw=true&team=L2", ["handoffs", "--raw", "--team", "L2"]),
    ("/handoffs?working=true", ["handoffs", "--working"]),
    ("/rules", ["settings", "show"]),
    ("/people", ["people", "list"]),
    ("/changes", ["changes"]),
    ("/changes?team=L1", ["changes", "--team", "L1"]),
]


@pytest.mark.parametrize("query, args", SAME_AS_CLI, ids=[q for q, _ in SAME_AS_CLI])
def test_the_api_answers_what_the_cli_prints(server, document, query, args):
    token = server.token()
    answer = server.get("/api/v1" + query, token)
    assert answer.status == 200, answer.body[:300]
    value = answer.json()
    assert value == server.cli_json(*args)
    assert answer.headers["cache-control"] == "no-store"
    check_schema(document, "/api/v1" + query.split("?")[0], value)


def test_one_person_by_name_and_an_unknown_name_is_a_404_naming_it(server, document):
    token = server.token()
    (kofi,) = server.get("/api/v1/people?name=Kofi%20Mensah", token).json()
    assert kofi == server.cli_json("people", "show", "Kofi Mensah")
    check_schema(document, "/api/v1/people", [kofi])
    message = assert_error(server.get("/api/v1/people?name=Nobody%20Here", token), 404)
    assert message.startswith("name: ") and "Nobody Here" in message


def test_filters_select_what_they_say(server):
    token = server.token()
    everything = server.get("/api/v1/summary", token).json()["total_tickets"]
    by_team = {row["team"]: row["total_tickets"]
               for row in server.get("/api/v1/teams", token).json()}
    assert sum(by_team.values()) == everything and len(by_team) >= 3
    two = server.get("/api/v1/summary?team=L1&team=L2", token).json()["total_tickets"]
    assert two == by_team["L1"] + by_team["L2"]
    odd = server.get(f"/api/v1/tickets?agent={urllib.parse.quote(FORMULA_AGENT)}", token)
    assert [t["resolved_by"] for t in odd.json()["tickets"]] == [FORMULA_AGENT]


def test_a_saved_view_filters_the_answer_under_the_filters_given(server):
    """The token owner's own view of a name comes before the shared one; a view nobody can
    open is a 422 naming the parameter."""
    server.cli("view", "save", "Two teams", "--team", "L1", "--team", "L2")
    server.cli("view", "save", "Two teams", "--team", "L1", "--for", "viewer")
    viewer, admin = server.token(), server.token("admin")
    try:
        def summary(query: str, token: str = admin) -> dict:
            return server.get(f"/api/v1/summary?{query}", token).json()

        assert summary("view=Two+teams", viewer) == summary("team=L1")
        assert summary("view=Two+teams") == summary("team=L1&team=L2")
        assert summary("view=Two+teams&team=L2&status=pending") == summary(
            "team=L2&status=pending")
        missing = server.get("/api/v1/summary?view=Nope", viewer)
        assert_error(missing, 422)
        assert missing.json()["error"].startswith("view: There is no saved view named")
    finally:
        server.cli("view", "remove", "Two teams")
        server.cli("view", "remove", "Two teams", "--for", "viewer")


# ---------------------------------------------------------------- tickets: pages and CSV

def test_pages_cover_the_tickets_once_in_the_csv_order(server, document):
    token = server.token()
    query = "team=L1&status=resolved"
    first = server.get(f"/api/v1/tickets?{query}&page_size=50", token).json()
    check_schema(document, "/api/v1/tickets", first)
    total = first["total"]
    assert total == server.cli_json("summary", "--team", "L1", "--status",
                                    "resolved")["total_tickets"]
    assert first["pages"] == -(-total // 50) and first["page"] == 1 and first["page_size"] == 50
    numbers = [t["sr_number"] for t in first["tickets"]]
    for page in range(2, first["pages"] + 1):
        numbers += [t["sr_number"] for t in
                    server.get(f"/api/v1/tickets?{query}&page_size=50&page={page}",
                               token).json()["tickets"]]
    past = server.get(f"/api/v1/tickets?{query}&page_size=50&page={first['pages'] + 1}", token)
    assert past.json()["tickets"] == [] and past.json()["total"] == total
    rows = list(csv.DictReader(io.StringIO(
        server.get(f"/api/v1/tickets.csv?{query}", token).body.decode("utf-8-sig"))))
    assert numbers == [row["SR number"] for row in rows] and len(set(numbers)) == total
    assert all(t["team"] == "L1" and t["status_class"] == "resolved" for t in first["tickets"])


def test_the_csv_neutralises_formulas_and_json_keeps_the_value(server):
    token = server.token()
    answer = server.get("/api/v1/tickets.csv", token)
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.body.decode("utf-8-sig"))))
    odd = [row for row in rows if row["Resolved by"].endswith(FORMULA_AGENT)]
    assert len(odd) == 1
    assert odd[0]["Resolved by"] == "'" + FORMULA_AGENT
    assert odd[0]["Category"] == "'" + FORMULA_CATEGORY
    assert not any(value.startswith(("=", "+", "@")) for row in rows for value in row.values())
    tickets = server.get("/api/v1/tickets?page_size=1000", token).json()["tickets"]
    assert FORMULA_CATEGORY in {t["category"] for t in tickets}


# ---------------------------------------------------------------- errors

BAD_QUERIES = [
    "/summary?team=L9", "/summary?status=open", "/summary?status=pending&status=resolved",
    "/summary?from=2026-13-01", "/summary?from=2026-10-01&to=2026-09-01", "/summary?tem=L1",
    "/summary?priority=", "/trend?period=day", "/handoffs?raw=maybe", "/tickets?page=0",
    "/tickets?page=abc", "/tickets?page_size=1001", "/tickets?page_size=-5",
    "/changes?from_import=xyz", "/changes?from=2026-01-01", "/tokens?user=admin",
    "/summary?to=9999-12-31", "/teams?from=0001-01-01", "/tickets?from=20260101",
    "/tickets.csv?to=9999-12-31", "/handoffs?working=sometimes", "/rules?team=L1",
    "/summary?priority=P9", "/agents?agent=Nobody%20Here", "/teams?team=L1&priority=ZZ",
]


def test_bad_parameters_are_422_in_one_sentence(server):
    token = server.token("admin")
    for query in BAD_QUERIES:
        assert_error(server.get("/api/v1" + query, token), 422)


def test_unknown_paths_are_404_and_other_methods_405(server):
    token = server.token()
    assert "/api/v1/docs" in assert_error(server.get("/api/v1/nothing-here", token), 404)
    assert_error(server.get("/api/v2/summary", token), 404)
    answer = server.get("/api/v1/summary", token, method="POST")
    assert_error(answer, 405)
    assert "GET" in answer.headers["allow"]
    unknown_import = "0" * 24
    assert_error(server.get(f"/api/v1/changes?to_import={unknown_import}", token), 404)


def test_past_the_rate_limit_is_429_with_retry_after_for_that_token_only(server):
    token, other = server.token(), server.token()
    statuses = [server.get("/api/v1/teams", token).status for _ in range(RATE_LIMIT)]
    assert statuses == [200] * RATE_LIMIT
    answer = server.get("/api/v1/teams", token)
    assert_error(answer, 429)
    assert 1 <= int(answer.headers["retry-after"]) <= 60
    assert server.get("/api/v1/teams", other).status == 200


# ---------------------------------------------------------------- the documents and the pages

def test_the_openapi_document_validates_and_lists_every_endpoint(document):
    validate(document)
    assert document["openapi"].startswith("3.1")
    paths = set(document["paths"])
    for name in ("summary", "teams", "agents", "trend", "priorities", "at-risk", "backlog",
                 "handoffs", "rules", "changes", "tickets", "tickets.csv", "report.xlsx",
                 "people"):
        assert f"/api/v1/{name}" in paths
    team = next(p for p in document["paths"]["/api/v1/summary"]["get"]["parameters"]
                if p["name"] == "team")
    assert team["schema"]["type"] == "array" and "desk's teams" in team["description"]


def test_the_report_workbook_is_the_views(server):
    token = server.token()
    answer = server.get("/api/v1/report.xlsx?team=L1", token)
    assert answer.status == 200
    assert answer.headers["content-type"] == reports.MEDIA_TYPE
    assert answer.headers["content-disposition"] == 'attachment; filename="report.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(answer.body))
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row}
    figures = server.get("/api/v1/summary?team=L1", token).json()
    assert summary["View"] == "team L1"
    assert summary["Tickets"] == figures["total_tickets"]
    assert_error(server.get("/api/v1/report.xlsx?team=L9", token), 422)


def test_the_docs_page_is_self_contained(server, document):
    answer = server.get("/api/v1/docs")
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/html")
    page = answer.body.decode()
    for path in document["paths"]:
        assert path in page
    lowered = page.lower()
    assert "<script" not in lowered and "src=" not in lowered and "<link" not in lowered
    assert "default-src 'none'" in answer.headers["content-security-policy"]


def test_the_pages_are_served_beside_the_api(server):
    assert server.get("/_stcore/health").body == b"ok"
    home = server.get("/")
    assert home.status == 200 and b"<html" in home.body.lower()


@pytest.mark.parametrize("path", ["/", "/api/v1/docs", "/api/v1/summary", "/_stcore/health"])
def test_every_answer_keeps_the_app_out_of_other_sites_frames(server, path):
    """Pages, API answers (even a refused one) and Streamlit's own endpoints alike."""
    answer = server.get(path)
    for name, value in SECURITY_HEADERS.items():  # the docs page's own policy is stricter
        assert value in answer.headers.get(name.lower(), ""), (path, name, answer.headers)


def test_streamlits_metrics_are_closed(server):
    """They need no login and name the app's caches and their sizes."""
    assert server.get("/_stcore/metrics").status == 404


def test_files_from_a_session_nobody_logged_in_to_are_refused(server):
    """Finding 9: Streamlit takes a file from any open session; the app only from an admin's."""
    answer = server.get("/_stcore/upload_file/some-session/some-file", method="PUT",
                        headers={"Content-Type": "application/octet-stream"})
    assert (answer.status, answer.body) == (403, b"Log in as an admin to upload files.")


def test_requests_without_a_valid_token_are_rate_limited_per_address(server):
    """Guessing tokens is throttled like using one; a valid token from the same address is
    not held back by the guesses."""
    guess = "sla_0badc0de_" + "x" * 43
    answers = [server.get("/api/v1/summary", guess) for _ in range(RATE_LIMIT + 1)]
    assert answers[0].status == 401 and answers[-1].status == 429
    assert "without a valid token" in assert_error(answers[-1], 429)
    assert "retry-after" in answers[-1].headers
    assert server.get("/api/v1/summary", server.token()).status == 200


@pytest.mark.skipif(bool(os.environ.get("MONGO_URI")), reason="the embedded store only")
def test_the_api_reconnects_after_the_store_restarts_on_a_new_port(server):
    token = server.token()
    assert server.get("/api/v1/summary?team=L1", token).status == 200
    server.cli("server", "stop")
    server.cli("server", "start")
    statuses = []
    for _ in range(4):
        statuses.append(server.get("/api/v1/summary?team=L2", token).status)
        if statuses[-1] == 200:
            break
    assert statuses[-1] == 200 and set(statuses) <= {200, 503}, statuses
