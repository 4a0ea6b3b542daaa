"""``python -m sla`` as a user runs it: a subprocess against the test server (contract section 8).

Read-only commands share one database holding the hand-checked set (``hand_env``); commands
that write get a fresh database each (``cli_env``). Expected figures are those worked out by
hand in test_metrics.py.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import uuid

import openpyxl
import pandas as pd
import pytest
from pymongo import MongoClient

from sla.analytics import export
from sla.core import display
from tests.conftest import ROOT
from tests.handset import HAND_CSV, KEYLESS_CSV

approx = pytest.approx

SUMMARY_KEYS = {"total_tickets", "resolved", "pending", "pending_by_team", "response_sla_pct",
                "resolution_sla_pct", "breaches", "avg_response_hours", "avg_resolution_hours",
                "top_performers"}
PERFORMER_KEYS = {"agent", "total_tickets", "response_sla_pct", "resolution_sla_pct", "score"}
GROUP_KEYS = {"total_tickets", "resolved", "pending", "response_met", "response_breached",
              "response_sla_pct", "resolution_met", "resolution_breached", "resolution_sla_pct",
              "avg_response_hours", "avg_resolution_hours"}
TEAMS = ["L1", "L2", "Business", "Other", "Unassigned"]


def sla(env: dict, *args, stdin: str | None = None, ok: bool = True) -> subprocess.CompletedProcess:
    """Run ``python -m sla ARGS`` from the project root; with ``ok`` it must exit 0."""
    result = subprocess.run([sys.executable, "-m", "sla", *map(str, args)], cwd=ROOT, env=env,
                            input=stdin, capture_output=True, text=True, timeout=300)
    if ok:
        assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}"
    return result


def sla_json(env: dict, *args):
    """The parsed standard output of ``python -m sla ARGS --json``."""
    return json.loads(sla(env, *args, "--json").stdout)


def database(env: dict):
    """The database a CLI environment points at, for looking behind the CLI's back."""
    client = MongoClient(env["MONGO_URI"])
    return client[env["SLA_DB"]]


def assert_one_error_line(result: subprocess.CompletedProcess) -> str:
    """A failure as the contract wants it: non-zero exit, one ``error:`` line, no traceback."""
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:")
    assert "Traceback" not in result.stderr + result.stdout
    return lines[0]


@pytest.fixture
def env(cli_env) -> dict:
    """``cli_env`` without SLA_DEBUG (which would turn one-line errors into tracebacks)."""
    cli_env.pop("SLA_DEBUG", None)
    return cli_env


@pytest.fixture
def hand_csv(tmp_path):
    """The hand-checked ten tickets as a CSV file."""
    path = tmp_path / "hand.csv"
    path.write_text(HAND_CSV)
    return path


@pytest.fixture(scope="module")
def hand_env(server_uri, tmp_path_factory) -> dict:
    """A CLI environment on its own database into which the hand set was imported by the CLI."""
    import os

    folder = tmp_path_factory.mktemp("cli-hand")
    name = f"sla_test_{uuid.uuid4().hex[:10]}"
    environment = {k: v for k, v in os.environ.items() if k != "SLA_DEBUG"}
    environment.update({"MONGO_URI": server_uri, "SLA_DB": name,
                        "SLA_DATA_DIR": str(folder / "data"), "PYTHONPATH": str(ROOT)})
    path = folder / "hand.csv"
    path.write_text(HAND_CSV)
    sla(environment, "import", path)
    yield environment
    client = MongoClient(server_uri)
    client.drop_database(name)
    client.close()


# ---------------------------------------------------------------- import

def test_import_prints_counts_and_a_reimport_is_unchanged(env, hand_csv):
    first = sla(env, "import", hand_csv)
    assert "10 rows read, 10 tickets" in first.stdout
    assert "inserted 10, updated 0, unchanged 0, rejected 0" in first.stdout
    second = sla(env, "import", hand_csv)
    assert "inserted 0, updated 0, unchanged 10, rejected 0" in second.stdout
    assert database(env).tickets.count_documents({}) == 10


def test_dry_run_stores_nothing_then_json_report(env, hand_csv):
    dry = sla_json(env, "import", hand_csv, "--dry-run")
    assert (dry["inserted"], dry["updated"], dry["unchanged"]) == (10, 0, 0)
    assert sla_json(env, "summary")["total_tickets"] == 0
    assert database(env).uploads.count_documents({}) == 0

    report = sla_json(env, "import", hand_csv)
    assert {"file_name", "rows_read", "tickets", "folded", "inserted", "updated", "unchanged",
            "rejected", "rejected_rows", "durations_not_parsed", "dates_not_parsed",
            "sla_not_recognised", "teams_other", "teams_unassigned"} <= set(report)
    assert report["file_name"] == "hand.csv"
    assert (report["rows_read"], report["tickets"], report["inserted"], report["rejected"]) == \
        (10, 10, 10, 0)
    assert report["teams_other"] == {"Weird Group": 1} and report["teams_unassigned"] == 1
    assert report["mapping"]["team_raw"] == "Team"


@pytest.mark.parametrize("name, content, reason", [
    ("no_sr.csv", "Status,Priority\nOpen,P1\n", "no header row with an SR number"),
    ("tickets.txt", "SR Number,Status\nT1,Open\n", "unsupported file type .txt"),
    ("missing.csv", None, "cannot read"),
])
def test_a_file_that_fails_as_a_whole_is_one_error_line(env, tmp_path, name, content, reason):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    line = assert_one_error_line(sla(env, "import", path, ok=False))
    assert reason in line
    db = database(env)
    assert db.tickets.count_documents({}) == 0 and db.uploads.count_documents({}) == 0


# ---------------------------------------------------------------- metrics

def test_summary_json(hand_env):
    result = sla_json(hand_env, "summary")
    assert SUMMARY_KEYS <= set(result)
    assert (result["total_tickets"], result["resolved"], result["pending"]) == (10, 7, 3)
    assert result["pending_by_team"] == {"L1": 1, "L2": 1, "Business": 0, "Other": 0,
                                         "Unassigned": 1}
    # carried to at least two decimals: 77.78 and 57.14, not 77.8 and 57.1
    assert result["response_sla_pct"] == approx(100 * 7 / 9, abs=0.005)
    assert result["resolution_sla_pct"] == approx(100 * 4 / 7, abs=0.005)
    assert result["breaches"] == 4
    assert result["avg_response_hours"] == approx(14.7 / 9)
    assert result["avg_resolution_hours"] == approx(156 / 7)
    (ann,) = result["top_performers"]
    assert set(ann) == PERFORMER_KEYS
    assert ann == {"agent": "Ann", "total_tickets": 5, "response_sla_pct": 80.0,
                   "resolution_sla_pct": 60.0, "score": 68.0}


def test_summary_text(hand_env):
    out = sla(hand_env, "summary").stdout
    assert "total_tickets: 10" in out
    assert "response_sla_pct: 77.8" in out
    assert "Ann" in out and "68.0" in out


def test_teams_json(hand_env):
    rows = sla_json(hand_env, "teams")
    assert [r["team"] for r in rows] == TEAMS
    for row in rows:
        assert {"team"} | GROUP_KEYS <= set(row)
    l1, l2, business, other, unassigned = rows
    assert (l1["total_tickets"], l1["resolved"], l1["pending"]) == (5, 4, 1)
    assert (l1["response_met"], l1["response_breached"]) == (4, 1)
    assert (l1["resolution_met"], l1["resolution_breached"]) == (3, 1)
    assert (l1["response_sla_pct"], l1["resolution_sla_pct"]) == (80.0, 75.0)
    assert l1["avg_response_hours"] == approx(0.74) and l1["avg_resolution_hours"] == approx(6.5)
    assert (l2["total_tickets"], l2["response_sla_pct"], l2["resolution_sla_pct"]) == (2, 50.0, 100.0)
    assert (business["response_sla_pct"], business["resolution_sla_pct"]) == (100.0, 0.0)
    assert other["total_tickets"] == 1
    assert unassigned["response_sla_pct"] is None and unassigned["avg_response_hours"] is None


def test_agents_json(hand_env):
    rows = sla_json(hand_env, "agents")
    assert [r["agent"] for r in rows] == ["Ann", "Bob", "Cat"]  # score, then tickets, then name
    for row in rows:
        assert {"agent", "score"} | GROUP_KEYS <= set(row)
    ann, bob, cat = rows
    assert (ann["total_tickets"], ann["response_met"], ann["response_breached"]) == (5, 4, 1)
    assert (ann["resolution_met"], ann["resolution_breached"], ann["score"]) == (3, 2, 68.0)
    assert ann["avg_response_hours"] == approx(1.1) and ann["avg_resolution_hours"] == approx(11.2)
    assert (bob["total_tickets"], bob["resolved"], bob["pending"], bob["score"]) == (2, 1, 1, 0.0)
    assert (bob["response_sla_pct"], bob["resolution_sla_pct"]) == (50.0, 100.0)
    assert (cat["total_tickets"], cat["score"]) == (1, 0.0)


def test_trend_json(hand_env):
    rows = sla_json(hand_env, "trend")
    assert [(r["week"], r["week_start"], r["tickets"]) for r in rows] == [
        ("2026-W10", "2026-03-02", 3), ("2026-W11", "2026-03-09", 4),
        ("2026-W12", "2026-03-16", 3)]
    assert [r["response_sla_pct"] for r in rows] == [approx(66.67, abs=0.005),
                                                     approx(66.67, abs=0.005), 100.0]
    assert [r["resolution_sla_pct"] for r in rows] == [50.0, approx(33.33, abs=0.005), 100.0]


def test_trend_by_month_json(hand_env):
    rows = sla_json(hand_env, "trend", "--period", "month")
    assert [(r["month"], r["start"], r["tickets"]) for r in rows] == [("2026-03", "2026-03-01", 10)]


def test_at_risk_json_is_measured_at_the_data_clock(hand_env):
    """The hand set ends on 18 March; imported today, the clock is that date, not now."""
    result = sla_json(hand_env, "at-risk")
    assert (result["as_of"], result["clock"]) == ("2026-03-18T00:00:00", "data")
    assert [r["sr_number"] for r in result["tickets"]] == ["T3", "T6"]
    assert result["tickets"][0]["hours_left"] == approx(24 - (13 * 24 + 13))
    text = sla(hand_env, "at-risk").stdout
    assert text.startswith("as of 2026-03-18 00:00 (the latest date in the data)")


@pytest.mark.parametrize("args, total, extra", [
    (["--team", "L1"], 5, {"resolution_sla_pct": 75.0, "pending": 1}),
    (["--priority", "P2"], 3, {"resolved": 3, "breaches": 1}),
    (["--agent", "Ann"], 5, {"response_sla_pct": 80.0, "resolution_sla_pct": 60.0}),
    (["--from", "2026-03-09", "--to", "2026-03-12"], 4, {"resolved": 3}),  # T7 at 23:30 is in
    (["--status", "pending"], 3, {"resolved": 0, "response_sla_pct": 100.0}),
    (["--team", "L1", "--team", "L2", "--status", "resolved"], 5, {"pending": 0}),
])
def test_summary_filters(hand_env, args, total, extra):
    result = sla_json(hand_env, "summary", *args)
    assert result["total_tickets"] == total
    for key, value in extra.items():
        assert result[key] == value, key


def test_filters_reach_teams_and_agents(hand_env):
    assert [r["team"] for r in sla_json(hand_env, "teams", "--agent", "Ann")] == ["L1", "Other"]
    assert [r["agent"] for r in sla_json(hand_env, "agents", "--team", "L2")] == ["Bob"]


def test_bad_date_filter_is_rejected(hand_env):
    result = sla(hand_env, "summary", "--from", "9/3/2026", ok=False)
    assert result.returncode != 0
    assert "not a date" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("args, says", [
    (["summary", "--from", "20260101"], "not a date"),
    (["export", "--to", "9999-12-31", "out.csv"], "must be a day from"),
    (["agents", "--team", "L9"], "team must be one of"),
    (["summary", "--team", "L9"], "team must be one of"),
    (["summary", "--priority", "P9"], "priority must be one of"),
    (["teams", "--agent", "Nobody Here"], "agent must be one of"),
])
def test_dates_out_of_range_and_unknown_teams_are_refused_in_one_line(hand_env, args, says):
    result = sla(hand_env, *args, ok=False)
    assert result.returncode == 2
    assert says in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------- export

def test_export_writes_the_filtered_tickets(hand_env, tmp_path):
    path = tmp_path / "l1.csv"
    result = sla(hand_env, "export", "--team", "L1", path)
    assert "wrote 5 tickets" in result.stdout
    got = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(got.columns) == [display.label(name) for name in export.COLUMNS]
    got = got.rename(columns={display.label(name): name for name in export.COLUMNS})

    source = pd.read_csv(io.StringIO(HAND_CSV), dtype=str, keep_default_na=False)
    expected = source[source["Team"] == "L1 Desk"].copy()
    expected["created"] = pd.to_datetime(expected["Created"])
    expected = expected.sort_values("created", ascending=False)
    assert list(got["sr_number"]) == list(expected["SR Number"])  # newest created first
    assert list(got["team"]) == ["L1"] * 5
    assert list(got["status"]) == list(expected["Status"])
    assert list(pd.to_datetime(got["created"])) == list(expected["created"])
    assert [float(v) for v in got["response_hours"]] == \
        [float(v) for v in expected["Response Time (hrs)"]]
    assert list(got["resolution_sla"]) == \
        [v.lower() for v in expected["Resolution SLA"]]


def test_export_neutralises_formula_cells(env, tmp_path):
    source = tmp_path / "formula.csv"
    source.write_text(HAND_CSV.replace("T3,2026-03-04 11:00,Open,", "T3,2026-03-04 11:00,=1+1,")
                      .replace("Weird Group", "@SUM(A1)"))
    sla(env, "import", source)
    path = tmp_path / "all.csv"
    sla(env, "export", path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    got = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert len(got) == 10
    rows = got.set_index("SR number")
    assert rows.loc["T3", "Status"] == "'=1+1"
    assert rows.loc["T7", "Team in the file"] == "'@SUM(A1)"
    assert rows.loc["T1", "Status"] == "Resolved"


# ---------------------------------------------------------------- users

def test_user_add_list_remove(env):
    db = database(env)
    added = sla(env, "user", "add", "alice", "--role", "admin", stdin="correct horse\n")
    assert "added admin alice" in added.stdout
    sla(env, "user", "add", "bob", "--role", "viewer", stdin="battery staple\n")
    listed = sla(env, "user", "list").stdout
    assert listed.splitlines() == ["alice\tadmin", "bob\tviewer"]
    assert "$2" not in listed  # no hashes on screen

    import bcrypt
    stored = db.users.find_one({"username": "alice"})
    assert bcrypt.checkpw(b"correct horse", stored["password"].encode())  # newline stripped

    assert "removed bob" in sla(env, "user", "remove", "bob").stdout
    assert db.users.count_documents({"username": "bob"}) == 0
    last = assert_one_error_line(sla(env, "user", "remove", "alice", ok=False))
    assert "last admin" in last
    assert db.users.count_documents({"username": "alice"}) == 1


def test_user_add_rejects_a_wrong_role_and_a_short_password(env):
    db = database(env)
    wrong_role = sla(env, "user", "add", "carol", "--role", "root", stdin="long enough pw\n",
                     ok=False)
    assert wrong_role.returncode != 0 and "invalid choice" in wrong_role.stderr
    short = assert_one_error_line(sla(env, "user", "add", "carol", "--role", "viewer",
                                      stdin="short\n", ok=False))
    assert "at least 8 characters" in short
    assert db.users.count_documents({}) == 0


# ---------------------------------------------------------------- demo and check

def test_demo_loads_and_a_second_run_is_unchanged(env):
    first = sla(env, "demo", "--tickets", "300")
    assert "inserted 300, updated 0, unchanged 0" in first.stdout
    result = sla_json(env, "summary")
    assert result["total_tickets"] == 300 and result["resolved"] + result["pending"] == 300
    assert len(result["top_performers"]) == 5
    second = sla(env, "demo", "--tickets", "300")
    assert "inserted 0, updated 0, unchanged 300" in second.stdout


def test_check_fails_without_an_admin_and_passes_with_one(env):
    env["SLA_COOKIE_KEY"] = "a-test-cookie-key-that-is-long-enough"
    before = sla(env, "check", ok=False)
    assert before.returncode != 0
    assert any(line.startswith("FAIL admin") for line in before.stdout.splitlines())
    sla(env, "user", "add", "root", "--role", "admin", stdin="correct horse\n")
    results = sla_json(env, "check")
    assert {r["check"]: r["ok"] for r in results} == {
        "store": True, "database": True, "indexes": True, "admin": True, "cookie key": True}


# ---------------------------------------------------------------- failures in the user's words

PYTHON_NAMES = ("Error:", "Exception", "Traceback", "errno", "AutoReconnect", "OSError")


def assert_in_their_words(result: subprocess.CompletedProcess) -> str:
    line = assert_one_error_line(result)
    assert not any(name in line for name in PYTHON_NAMES), line
    assert len(line) <= 320, line
    return line


def test_an_unusable_data_folder_is_one_sentence(env, tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    env = {k: v for k, v in env.items() if k != "MONGO_URI"}
    for folder in (not_a_folder / "data", "/proc/sla-data"):
        line = assert_in_their_words(sla({**env, "SLA_DATA_DIR": str(folder)}, "summary",
                                         ok=False))
        assert "data folder" in line and "SLA_DATA_DIR" in line


def test_a_database_name_with_a_slash_is_named_as_such(env):
    line = assert_in_their_words(sla({**env, "SLA_DB": "a/b"}, "summary", ok=False))
    assert "SLA_DB" in line and "not a valid database name" in line


def test_a_database_that_dies_during_an_import_is_one_sentence(tmp_path):
    """The embedded server is killed while the CLI imports into it; run again, it completes."""
    from sla.service import demo
    from sla.storage import embedded

    folder = tmp_path / "data"
    uri = embedded.ensure_server(folder)
    env = {**os.environ, "MONGO_URI": uri, "SLA_DB": "dies", "SLA_DATA_DIR": str(folder),
           "PYTHONPATH": str(ROOT)}
    env.pop("SLA_DEBUG", None)
    export = tmp_path / "big.csv"
    demo.generate_export(20_000, seed=2, with_priority=True).to_csv(export, index=False)
    process = subprocess.Popen([sys.executable, "-m", "sla", "import", str(export)], cwd=ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    client = MongoClient(uri)
    deadline = time.monotonic() + 120
    while client.dies.tickets.estimated_document_count() == 0:
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(embedded._read_state(folder)["pid"], signal.SIGKILL)
    out, err = process.communicate(timeout=120)
    result = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    line = assert_in_their_words(result)
    assert "run it again" in line
    uri = embedded.ensure_server(folder)  # the data survives; the import completes
    again = sla({**env, "MONGO_URI": uri}, "import", export)
    assert "rejected 0" in again.stdout
    assert MongoClient(uri).dies.tickets.count_documents({}) == 20_000
    embedded.stop_server(folder)


def test_a_store_stopped_on_purpose_is_not_started_by_itself(tmp_path):
    """Finding 5: after ``server stop`` (a file-level backup, say) no command starts the
    embedded store by itself; ``server start`` does, and from then on so do the others."""
    env = {k: v for k, v in os.environ.items() if k != "MONGO_URI"}
    env.update({"SLA_DATA_DIR": str(tmp_path / "data"), "SLA_DB": "stopped",
                "PYTHONPATH": str(ROOT)})
    try:
        sla(env, "summary")
        assert sla(env, "server", "stop").stdout.strip() == "stopped"
        line = assert_in_their_words(sla(env, "summary", ok=False))
        assert line == ("error: the embedded database was stopped with ./sla.sh server stop; "
                        "start it again with ./sla.sh server start")
        assert sla(env, "server", "status").stdout.startswith("not running")
        assert "embedded server at" in sla(env, "server", "start").stdout
        sla(env, "summary")
    finally:
        sla(env, "server", "stop")


def test_a_setting_that_is_not_a_number_is_named(env, hand_csv):
    line = assert_in_their_words(sla({**env, "SLA_MAX_UPLOAD_MB": "abc"}, "import", hand_csv,
                                     ok=False))
    assert "SLA_MAX_UPLOAD_MB" in line and "'abc'" in line


def test_the_wrapper_uses_the_projects_store_from_any_folder(cli_env, tmp_path):
    """``./sla.sh`` run from another folder: the project's Python and its data folder."""
    env = {k: v for k, v in cli_env.items() if k not in ("MONGO_URI", "SLA_DATA_DIR")}
    env["PYTHON"] = sys.executable
    result = subprocess.run([str(ROOT / "sla.sh"), "server", "status"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(f"({ROOT / 'data'})"), result.stdout
    usage = subprocess.run([str(ROOT / "sla.sh"), "--help"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=120).stdout
    assert usage.startswith("usage: ./sla.sh")


# ---------------------------------------------------------------- hand-offs, changes, fair ranking

def test_handoffs_changes_and_fair_ranking_as_json(cli_env, tmp_path):
    from tests.test_changes import WEEK1, WEEK2
    from tests.test_handoffs import EVENT_LOG

    log = tmp_path / "events.csv"
    log.write_text(EVENT_LOG)
    sla(cli_env, "import", log)
    result = sla_json(cli_env, "handoffs")
    assert {row["team"]: row["breaches_owned"] for row in result["teams"]} == {"L1": 0, "L2": 1}
    assert sum(row["hours_held"] for row in result["teams"]) == pytest.approx(result["hours_open"])
    raw = sla_json(cli_env, "handoffs", "--raw", "--priority", "P3")
    assert {row["team_raw"] for row in raw["teams"]} == {"Service Desk L1", "App Support L2"}

    for number, text in ((1, WEEK1), (2, WEEK2)):
        week = tmp_path / f"week{number}.csv"
        week.write_text(text)
        sla(cli_env, "import", week)
    moved = sla_json(cli_env, "changes")
    for name in ("resolution_sla_pct", "response_sla_pct", "pending"):
        figure = moved[name]
        assert {"before", "after", "contributions"} <= set(figure)
        if figure["after"] is not None:
            total = sum(c["points"] for c in figure["contributions"])
            assert total == pytest.approx(figure["after"] - (figure["before"] or 0), abs=1e-9)
    assert set(moved["resolution_sla_pct"]["contributions"][0]) == {
        "cause", "team", "priority", "tickets", "points"}
    bad = sla(cli_env, "changes", "--from", "nope", ok=False)
    assert bad.returncode == 2 and bad.stderr.startswith("error: nope is not an import id")
    assert "Traceback" not in bad.stderr

    agents = sla_json(cli_env, "agents")
    assert all({"expected_resolution_sla_pct", "resolution_vs_expected",
                "expected_response_sla_pct", "response_vs_expected", "fair_rank"} <= set(row)
               for row in agents)


# ---------------------------------------------------------------- rules and calendars

ICS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
       "UID:1@test\r\nDTSTART;VALUE=DATE:20260313\r\nSUMMARY:Closed\r\nEND:VEVENT\r\n"
       "END:VCALENDAR\r\n")


def test_settings_show_and_set_round_trip(env, hand_csv):
    sla(env, "import", hand_csv)
    shown = dict(line.split("\t") for line in sla(env, "settings", "show").stdout.splitlines())
    assert shown["paused_statuses"] == "(none)" and shown["calendar"] == "24x7"
    assert shown["sla_targets"].startswith("P1=")
    said = sla(env, "settings", "set", "paused_statuses", "Awaiting User Info",
               "Awaiting Vendor").stdout
    assert "no ticket changed" in said
    assert sla_json(env, "settings", "show")["paused_statuses"] == ["Awaiting User Info",
                                                                    "Awaiting Vendor"]
    said = sla(env, "settings", "set", "sla_targets", "P3=1/8").stdout
    assert "computed_outcomes" in said  # the file's SLA columns decide, and it says so
    said = sla(env, "settings", "set", "computed_outcomes", "other").stdout
    assert "resolution_sla:" in said


def test_the_desks_own_teams_from_the_command_line(env, hand_csv):
    """Contract, Teams: teams named, rules mapping names to them, the filter taking them."""
    sla(env, "import", hand_csv)
    sla(env, "settings", "set", "teams", "Service Desk: Ann <ann@example.com>", "Apps", "L1",
        "L2", "Business")
    said = sla(env, "settings", "set", "team_rules", "Service Desk: l1", "Apps: ~^L2 ",
               "Business: business").stdout
    assert "team:" in said
    teams = [row["team"] for row in sla_json(env, "teams")]
    assert teams == ["Service Desk", "Apps", "Business", "Other", "Unassigned"]
    assert sla_json(env, "summary", "--team", "Apps")["total_tickets"] == 2
    refused = assert_in_their_words(sla(env, "summary", "--team", "Network", ok=False))
    assert "team must be one of Service Desk, Apps, L1, L2, Business" in refused


def test_a_calendar_is_added_assigned_listed_and_removed(env, hand_csv, tmp_path):
    sla(env, "import", hand_csv)
    holidays = tmp_path / "closed.ics"
    holidays.write_text(ICS)
    said = sla(env, "calendar", "add", "Office", "--hours", "Mon-Fri 08:00-12:00 13:00-18:00",
               "--holiday", "2026-03-16", "--holidays", holidays, "--timezone",
               "Europe/Madrid").stdout
    assert said.startswith("added calendar Office")
    sla(env, "calendar", "assign", "Office", "--team", "L1", "--team", "L2")
    [always, office] = sla_json(env, "calendar", "list")
    assert office["name"] == "Office" and office["timezone"] == "Europe/Madrid"
    assert office["holidays"] == ["2026-03-13", "2026-03-16"]
    assert office["teams"] == ["L1", "L2"] and always["name"] == "24x7"
    refused = assert_one_error_line(sla(env, "calendar", "remove", "Office", ok=False))
    assert "still used by L1, L2" in refused
    sla(env, "calendar", "assign", "24x7", "--team", "L1", "--team", "L2")
    assert sla(env, "calendar", "remove", "Office").stdout.startswith("removed calendar Office")
    assert [c["name"] for c in sla_json(env, "calendar", "list")] == ["24x7"]


@pytest.mark.parametrize(("args", "named"), [
    (["calendar", "add", "Night", "--hours", "Mon-Fri 18:00-08:00"], "18:00-08:00"),
    (["calendar", "add", "Late", "--hours", "Mon 09:00-25:00"], "25:00"),
    (["calendar", "add", "Far", "--hours", "Mon 09:00-17:00", "--timezone", "Mars/Olympus"],
     "Mars/Olympus"),
    (["calendar", "add", "Odd", "--hours", "Mon 09:00-17:00", "--holiday", "2026-02-30"],
     "2026-02-30"),
    (["calendar", "assign", "Nowhere"], "Nowhere"),
    (["calendar", "add", "24X7", "--hours", "Mon 09:00-17:00"], "24x7"),
    (["calendar", "assign", "24x7", "--team", "L9"], "L9"),
    (["settings", "set", "paused_status", "x"], "paused_status"),
    (["settings", "set", "at_risk_hours", "soon"], "soon"),
    (["settings", "set", "computed_outcomes", "remedy"], "remedy"),
    (["settings", "set", "teams", "Desk <not-an-address>"], "not-an-address"),
    (["settings", "set", "teams", "Desk", "desk"], "desk"),
    (["settings", "set", "team_rules", "L1: ~.*"], "matches every name"),
    (["settings", "set", "team_rules", "L7: l7"], "L7"),
])
def test_a_bad_rule_or_calendar_is_one_line_naming_it_and_changes_nothing(env, hand_csv,
                                                                          args, named):
    sla(env, "import", hand_csv)
    before = database(env).settings.find_one()
    line = assert_one_error_line(sla(env, *args, ok=False))
    assert named in line
    assert sla(env, *args, ok=False).returncode == 2
    assert database(env).settings.find_one() == before


def test_a_holiday_file_that_does_not_parse_is_named(env, tmp_path):
    broken = tmp_path / "holidays.ics"
    broken.write_text("BEGIN:VCALENDAR\r\nthis is not iCalendar\r\n")
    line = assert_one_error_line(sla(env, "calendar", "add", "Office", "--hours",
                                     "Mon-Fri 08:00-18:00", "--holidays", broken, ok=False))
    assert "holidays.ics" in line
    assert sla_json(env, "calendar", "list")[-1]["name"] == "24x7"


def test_handoffs_in_working_hours(env, hand_csv):
    sla(env, "import", hand_csv)
    sla(env, "calendar", "add", "Office", "--hours", "Mon-Fri 08:00-18:00")
    sla(env, "calendar", "assign", "Office")
    wall = sla_json(env, "handoffs")
    working = sla_json(env, "handoffs", "--working")
    assert (wall["hours"], working["hours"]) == ("wall", "working")
    assert working["hours_open"] < wall["hours_open"]


def test_the_key_column_is_named_when_it_is_not_recognised(env, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text(KEYLESS_CSV)
    refused = sla(env, "import", path, ok=False)
    assert refused.returncode == 2
    assert refused.stderr.strip().endswith("choose the column that identifies each ticket on "
                                           "the Upload page, or import with --key COLUMN")
    wrong = sla(env, "import", path, "--key", "Case", ok=False)
    assert wrong.stderr.strip() == ("error: The column 'Case' chosen for SR number is not in "
                                    "this file.")
    assert sla_json(env, "import", path, "--key", "Case Ref", "--json")["inserted"] == 3
    path.write_text(KEYLESS_CSV.replace("C-3", "C-4"))  # the layout's mapping was remembered
    assert sla_json(env, "import", path, "--json")["inserted"] == 1


def test_the_report_workbook_is_written_for_the_filters(hand_env, tmp_path):
    path = tmp_path / "monday.xlsx"
    said = sla(hand_env, "report", path, "--team", "L1").stdout
    assert said.startswith(f"wrote the report to {path} (")
    book = openpyxl.load_workbook(path)
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row}
    assert (summary["View"], summary["Tickets"]) == (
        "team L1", sla_json(hand_env, "summary", "--team", "L1")["total_tickets"])
    refused = sla(hand_env, "report", tmp_path / "monday.csv", ok=False)
    assert (refused.returncode, refused.stderr.strip()) == (
        2, "error: the report is an Excel workbook: name it with .xlsx, not 'monday.csv'")
    assert sla(hand_env, "report", path, "--team", "L9", ok=False).returncode == 2
