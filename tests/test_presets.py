"""Native exports: each tool's preset read from its own column names and value formats.

The acceptance part builds, from the real UCI incident event log, the export a desk would have
taken on 15 April 2016 (each incident's last update by then, so some are still open), writes
it in the columns and value formats of Jira Service Management, Zendesk and ServiceNow, and
in the old system's seed shape, imports each with no manual mapping into a fresh database and
compares the figures. The unit part checks each preset's value rules, its detection, an
override in the mapping editor and a named mapping used by the CLI.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import uuid
from contextlib import contextmanager

import pandas as pd
import pytest

from sla.analytics import metrics
from sla.core import rules
from sla.core.filters import Filters
from sla.ingest import normalise, presets, read
from sla.ingest.table import FIELD_NAMES, MappingError, RawTable, map_headers
from sla.ingest.values import BadValue, remaining_hours, remaining_outcome
from sla.service import demo, importing
from sla.storage import connection, mappings, versions
from sla.storage.settings import get_settings
from tests.conftest import SHARED_DATA
from tests.conftest import rounded as figures_rounded
from tests.handset import HAND_CSV
from tests.test_cli import database, sla
from tests.test_pages import app_db  # noqa: F401 (a fixture)
from tests.tickets import parse_tickets

pytestmark = pytest.mark.timeout(900)
approx = pytest.approx

CUTOFF = pd.Timestamp("2016-04-15")
ZONE = dt.timezone(dt.timedelta(hours=2))  # the Zendesk account's time zone in its export
REST_DEMO = SHARED_DATA / "servicenow_demo_incidents_REST.csv"


# ---------------------------------------------------------------- the tickets, once

@pytest.fixture(scope="module")
def snapshot(uci_csv) -> pd.DataFrame:
    """Each incident's last row up to CUTOFF, with its values parsed once for the builders."""
    events = pd.read_csv(uci_csv, dtype=str, keep_default_na=False)
    at = pd.to_datetime(events["sys_updated_at"], format="%d/%m/%Y %H:%M")
    rows = events[at <= CUTOFF].drop_duplicates("number", keep="last").copy()

    def when(column: str) -> pd.Series:
        return pd.to_datetime(rows[column].where(rows[column] != "?"), format="%d/%m/%Y %H:%M")

    rows["opened"], rows["resolved"] = when("opened_at"), when("resolved_at")
    rows["minutes"] = ((rows["resolved"] - rows["opened"]).dt.total_seconds() // 60)
    rows["level"] = rows["priority"].str[0].astype(int)
    rows["agent"] = rows["resolved_by"].where(rows["resolved_by"] != "?", "")
    rows["group"] = rows["assignment_group"].where(rows["assignment_group"] != "?", "")
    rows["met"] = rows["made_sla"] == "true"
    rows["done"] = rows["incident_state"].isin(["Closed", "Resolved"])
    return rows.reset_index(drop=True)


def clock(minutes: float) -> str:
    """Minutes as the seed export's h:mm, "" when unknown (a negative one stays negative)."""
    if pd.isna(minutes):
        return ""
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(int(abs(minutes)), 60)
    return f"{sign}{hours}:{rest:02d}"


def iso(values: pd.Series) -> list[str]:
    return ["" if pd.isna(v) else f"{v:%Y-%m-%d %H:%M}" for v in values]


def seed_export(rows: pd.DataFrame, outcome: pd.Series | None, category: str | None = None
                ) -> bytes:
    """The same tickets in the old system's columns; ``outcome`` is Met/Breached/"" per row,
    None for an export without an SLA column; ``category`` the one category a tool's export
    gives every ticket (the fair ranking weighs tickets by category), else the log's."""
    frame = pd.DataFrame({
        "SR Number": rows["number"], "Created": iso(rows["opened"]),
        "Status": rows["incident_state"], "Priority": "P" + rows["level"].astype(str),
        "Resolved Date": iso(rows["resolved"]), "Resolved By": rows["agent"],
        "Updated Team": rows["group"], "Resolution Time (hh:mm)": rows["minutes"].map(clock),
        "Category": category or rows["category"]})
    if outcome is not None:
        frame["Resolution SLA Status"] = outcome.to_numpy()
    return frame.to_csv(index=False).encode()


def flag_outcome(rows: pd.DataFrame) -> pd.Series:
    return rows["met"].map({True: "Met", False: "Breached"})


def jira_outcome(rows: pd.DataFrame) -> pd.Series:
    """What Jira's remaining time says: a breach whenever it is negative, a met SLA only for a
    resolved issue (an open one's clock still runs)."""
    return pd.Series([("Met" if done else "") if met else "Breached"
                      for met, done in zip(rows["met"], rows["done"])])


ZENDESK_STATUS = {"Closed": "Closed", "Resolved": "Solved", "Active": "Open", "New": "New",
                  "Awaiting User Info": "Pending", "Awaiting Problem": "On-hold",
                  "Awaiting Vendor": "On-hold", "Awaiting Evidence": "On-hold"}
JIRA_STATUS = {"Closed": "Closed", "Resolved": "Resolved", "Active": "In Progress",
               "New": "Open", "Awaiting User Info": "Waiting for customer",
               "Awaiting Problem": "Pending", "Awaiting Vendor": "Pending",
               "Awaiting Evidence": "Pending"}
REST_STATE = {"New": "1", "Active": "2", "Awaiting Problem": "3", "Awaiting User Info": "4",
              "Awaiting Evidence": "5", "Awaiting Vendor": "3", "Resolved": "6", "Closed": "7"}


def zendesk_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """Zendesk Support's ticket export: ISO dates in the account's zone, minutes, its words."""
    def zoned(values):
        return ["" if pd.isna(v) else
                v.tz_localize("UTC").tz_convert(ZONE).isoformat() for v in values]

    minutes = rows["minutes"].map(lambda m: "" if pd.isna(m) else str(int(m)))
    return pd.DataFrame({
        "Id": rows["number"], "Requester": rows["caller_id"], "Assignee": rows["agent"],
        "Group": rows["group"], "Subject": rows["category"],
        "Status": rows["incident_state"].map(ZENDESK_STATUS),
        "Priority": rows["level"].map({1: "Urgent", 2: "High", 3: "Normal", 4: "Low"}),
        "Ticket type": "Incident", "Via": rows["contact_type"],
        "Created at": zoned(rows["opened"]), "Updated at": zoned(rows["opened"]),
        "Solved at": zoned(rows["resolved"]), "Resolution time": "",
        "First reply time in minutes": "", "Full resolution time in minutes": minutes,
        "Full resolution time in minutes within business hours": minutes})


def remaining(number: str, met: bool) -> str:
    """A Jira remaining-time cell, different per issue: ``3h 20m`` left or ``-1h 5m`` over."""
    size = int(hashlib.sha256(number.encode()).hexdigest()[:4], 16) % 600 + 1
    text = " ".join(part for part in (f"{size // 60}h" if size >= 60 else "",
                                      f"{size % 60}m" if size % 60 else "") if part)
    return text if met else f"-{text}"


def jira_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """A Jira Service Management CSV export: Jira's dates, words and SLA remaining times."""
    def jira_date(values):
        return ["" if pd.isna(v) else v.strftime("%d/%b/%y %I:%M %p") for v in values]

    return pd.DataFrame({
        "Summary": rows["category"], "Issue key": rows["number"].str.replace("INC", "ITSM-"),
        "Issue id": range(10000, 10000 + len(rows)), "Issue Type": "Incident",
        "Status": rows["incident_state"].map(JIRA_STATUS),
        "Priority": rows["level"].map({1: "Highest", 2: "High", 3: "Medium", 4: "Low"}),
        "Resolution": rows["done"].map({True: "Done", False: ""}), "Assignee": rows["agent"],
        "Reporter": rows["caller_id"], "Created": jira_date(rows["opened"]),
        "Updated": jira_date(rows["opened"]), "Resolved": jira_date(rows["resolved"]),
        "Custom field (Team)": rows["group"],
        "Custom field (Time to first response)": "",
        "Custom field (Time to resolution)": [remaining(n, m)
                                              for n, m in zip(rows["number"], rows["met"])]})


def sys_id(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest() if text else ""


def servicenow_frame(rows: pd.DataFrame, rest: bool, names: bool = True) -> pd.DataFrame:
    """ServiceNow's incident list export (display values, seconds with thousands separators)
    or its REST form (state codes, sys_ids, plain seconds; ``names``: with dv_ columns)."""
    seconds = rows["minutes"].map(lambda m: "" if pd.isna(m) else
                                  (f"{int(m) * 60}" if rest else f"{int(m) * 60:,}"))
    stamp = ["" if pd.isna(v) else f"{v:%Y-%m-%d %H:%M:%S}" for v in rows["opened"]]
    frame = pd.DataFrame({
        "number": rows["number"], "short_description": rows["category"],
        "incident_state": (rows["incident_state"].map(REST_STATE) if rest
                           else rows["incident_state"]),
        "priority": rows["level"].astype(str) if rest else rows["priority"],
        "assignment_group": rows["group"].map(sys_id) if rest else rows["group"],
        "resolved_by": rows["agent"].map(sys_id) if rest else rows["agent"],
        "opened_at": stamp, "sys_updated_on": stamp,
        "resolved_at": ["" if pd.isna(v) else f"{v:%Y-%m-%d %H:%M:%S}" for v in rows["resolved"]],
        "made_sla": rows["made_sla"], "calendar_stc": seconds, "business_stc": seconds,
        "category": rows["category"]})
    if rest:
        frame.insert(1, "sys_id", rows["number"].map(sys_id))
        if names:
            frame["dv_resolved_by"], frame["dv_assignment_group"] = rows["agent"], rows["group"]
    return frame


# ---------------------------------------------------------------- importing into fresh stores

@contextmanager
def fresh_db(server_uri: str):
    """A database of its own on the test server, dropped afterwards."""
    name = f"sla_test_{uuid.uuid4().hex[:10]}"
    db = connection.connect(server_uri, name)
    try:
        yield db
    finally:
        db.client.drop_database(name)


def figures(db) -> dict:
    settings = get_settings(db)
    return {"summary": metrics.summary(versions.snapshot(db), Filters(), settings),
            "teams": metrics.teams(versions.snapshot(db)), "agents": metrics.agents(versions.snapshot(db), settings=settings)}


@pytest.fixture(scope="module")
def imported(server_uri, snapshot):
    """Import one export into a fresh database: its report and its figures, memoised."""
    done: dict[str, tuple] = {}

    def run(name: str, content: bytes, file_name: str):
        if name not in done:
            with fresh_db(server_uri) as db:
                report = importing.import_file(db, content, file_name)
                done[name] = (report, figures(db))
        return done[name]

    return run


def rounded(value):
    """Figures with floats to 6 decimals (``tests.conftest.rounded``)."""
    return figures_rounded(value, 6)


def same_figures(got: dict, want: dict) -> None:
    assert rounded(got["summary"]) == rounded(want["summary"])
    assert rounded(got["teams"]) == rounded(want["teams"])
    got_agents = rounded({row["agent"]: row for row in got["agents"]})
    want_agents = rounded({row["agent"]: row for row in want["agents"]})
    assert set(got_agents) == set(want_agents)
    for agent, row in want_agents.items():
        differ = {k: (got_agents[agent].get(k), v) for k, v in row.items()
                  if got_agents[agent].get(k) != v}
        assert not differ, (agent, differ)


def assert_telling(result: dict) -> None:
    """The figures could differ: open and resolved tickets, met and breached, many agents."""
    summary = result["summary"]
    assert summary["resolved"] > 1000 and summary["pending"] > 1000
    assert summary["resolution_met"] > 1000 and summary["resolution_breached"] > 1000
    assert summary["avg_resolution_hours"] > 0 and len(result["agents"]) > 50


def test_zendesk_csv_gives_the_seed_figures(imported, snapshot):
    report, got = imported("zendesk", zendesk_frame(snapshot).to_csv(index=False).encode(),
                           "zendesk-tickets.csv")
    _, want = imported("seed-no-sla", seed_export(snapshot, None, "Incident"), "seed.csv")
    assert report.detected_as == "Zendesk ticket export"
    assert report.tickets == len(snapshot) and report.rejected == 0
    assert report.dates_not_parsed == 0 and report.sla_not_recognised == 0
    assert "Full resolution time in minutes" == report.mapping["resolution_hours"]
    assert_telling(got)
    same_figures(got, want)


def test_zendesk_xlsx_gives_the_seed_figures(imported, snapshot):
    frame = zendesk_frame(snapshot)
    frame["Full resolution time in minutes"] = snapshot["minutes"]  # numbers in a workbook
    report, got = imported("zendesk-xlsx", demo.to_xlsx_bytes(frame), "zendesk-tickets.xlsx")
    _, want = imported("seed-no-sla", seed_export(snapshot, None, "Incident"), "seed.csv")
    assert report.detected_as == "Zendesk ticket export"
    same_figures(got, want)


def test_jira_csv_gives_the_seed_figures(imported, snapshot):
    report, got = imported("jira", jira_frame(snapshot).to_csv(index=False).encode(),
                           "jira.csv")
    seed = seed_export(snapshot.assign(number=snapshot["number"].str.replace("INC", "ITSM-")),
                       jira_outcome(snapshot), "Incident")
    _, want = imported("seed-jira", seed, "seed.csv")
    assert report.detected_as == "Jira Service Management issue export"
    assert report.dates_not_parsed == 0 and report.sla_not_recognised == 0
    assert "resolution_hours" not in report.mapping  # resolved - created, as in the seed
    assert_telling(got)
    same_figures(got, want)


@pytest.mark.parametrize("rest", [False, True], ids=["list", "rest"])
def test_servicenow_gives_the_seed_figures(imported, snapshot, rest):
    name = "servicenow-rest" if rest else "servicenow-list"
    report, got = imported(name, servicenow_frame(snapshot, rest).to_csv(index=False).encode(),
                           f"{name}.csv")
    _, want = imported("seed-flag", seed_export(snapshot, flag_outcome(snapshot)), "seed.csv")
    assert report.detected_as == ("ServiceNow REST export" if rest else "ServiceNow list export")
    assert report.durations_not_parsed == int((snapshot["minutes"] < 0).sum())
    assert report.mapping["resolution_hours"] == "calendar_stc"
    assert report.mapping["resolved_by"] == ("dv_resolved_by" if rest else "resolved_by")
    assert_telling(got)
    same_figures(got, want)


def test_servicenow_rest_without_names_keeps_the_sys_ids(imported, snapshot):
    frame = servicenow_frame(snapshot, rest=True, names=False)
    report, got = imported("servicenow-ids", frame.to_csv(index=False).encode(), "ids.csv")
    _, want = imported("seed-flag", seed_export(snapshot, flag_outcome(snapshot)), "seed.csv")
    assert report.mapping["resolved_by"] == "resolved_by"
    assert any("resolved_by holds record ids (sys_id)" in note for note in report.notes)
    assert rounded({**got["summary"], "top_performers": None}) == \
        rounded({**want["summary"], "top_performers": None})
    by_id = {sys_id(row["agent"]): row for row in want["agents"]}
    assert {row["agent"]: row["total_tickets"] for row in got["agents"]} == \
        {key: row["total_tickets"] for key, row in by_id.items()}


def test_zendesk_dates_are_read_in_utc(server_uri, snapshot):
    first = snapshot.iloc[:5]
    with fresh_db(server_uri) as db:
        importing.import_file(db, zendesk_frame(first).to_csv(index=False).encode(), "z.csv")
        for row in first.itertuples():
            assert db.tickets.find_one({"_id": row.number})["created"] == row.opened


# ---------------------------------------------------------------- value rules

def table_of(frame: pd.DataFrame, name: str = "export.csv") -> RawTable:
    return read.read_table(frame.to_csv(index=False).encode(), name)


def tickets_of(frame: pd.DataFrame) -> tuple[dict, normalise.ImportReport]:
    tickets, report = parse_tickets(table_of(frame),
                                    copy.deepcopy(rules.DEFAULT_SETTINGS))
    return {t["sr_number"]: t for t in tickets}, report


@pytest.mark.parametrize("text, hours", [
    ("2h 30m", 2.5), ("-1h 5m", -65 / 60), ("45m", 0.75), ("-2d 4h", -52.0), ("0m", 0.0),
    ("", None), (None, None)])
def test_remaining_time_is_signed(text, hours):
    assert remaining_hours(text) == (None if hours is None else approx(hours))


@pytest.mark.parametrize("text", ["soon", "90", "1:30:99x"])
def test_remaining_time_refuses_junk_and_bare_numbers(text):
    with pytest.raises(BadValue):
        remaining_hours(text)


@pytest.mark.parametrize("text, status, outcome", [
    ("-1h 5m", "resolved", "breached"), ("-5m", "pending", "breached"),
    ("2h 30m", "resolved", "met"), ("2h 30m", "pending", None), ("", "resolved", None),
    ("what", "resolved", None)])
def test_remaining_time_outcome(text, status, outcome):
    assert remaining_outcome(text, status) == outcome


JIRA_ROWS = pd.DataFrame({
    "Issue key": ["SD-1", "SD-2", "SD-3", "SD-4", "SD-5"],
    "Issue id": ["1", "2", "3", "4", "5"],
    "Summary": ["a", "b", "c", "d", "e"],
    "Status": ["Done", "Resolved", "In Progress", "Declined", "Waiting for support"],
    "Priority": ["Highest", "High", "Medium", "Low", "Lowest"],
    "Assignee": ["Ann", "Ann", "", "Bo", "Bo"],
    "Created": ["02/Mar/26 9:05 AM", "02/Mar/26 1:30 PM", "03/Mar/26 11:59 PM",
                "2026-03-04T10:00:00+01:00", "12/Mar/26 12:15 AM"],
    "Resolved": ["02/Mar/26 11:35 AM", "03/Mar/26 1:30 PM", "", "2026-03-04T12:00:00Z", ""],
    "Custom field (Time to first response)": ["1h", "-20m", "", "3m", "garbage"],
    "Custom field (Time to resolution)": ["2h 30m", "-1h 5m", "4h", "1d 2h", "-3h"],
})


def test_jira_values():
    tickets, report = tickets_of(JIRA_ROWS)
    assert report.detected_as == "Jira Service Management issue export"
    assert [tickets[k]["priority"] for k in tickets] == ["P1", "P2", "P3", "P4", "P5"]
    assert [tickets[k]["status_class"] for k in tickets] == \
        ["resolved", "resolved", "pending", "resolved", "pending"]
    assert tickets["SD-1"]["created"] == dt.datetime(2026, 3, 2, 9, 5)
    assert tickets["SD-3"]["created"] == dt.datetime(2026, 3, 3, 23, 59)
    assert tickets["SD-4"]["created"] == dt.datetime(2026, 3, 4, 9, 0)  # ISO with zone: UTC
    assert tickets["SD-5"]["created"] == dt.datetime(2026, 3, 12, 0, 15)
    assert tickets["SD-1"]["resolution_hours"] == 2.5  # resolved - created
    assert tickets["SD-4"]["resolution_hours"] == 3.0
    assert [tickets[k]["resolution_sla"] for k in tickets] == \
        ["met", "breached", None, "met", "breached"]
    assert [tickets[k]["response_sla"] for k in tickets] == ["met", "breached", None, "met", None]
    assert tickets["SD-2"]["resolution_sla_raw"] == "-1h 5m"  # the file's text is kept
    assert report.sla_not_recognised == 1 and report.problems[0]["value"] == "garbage"
    assert report.dates_not_parsed == 0


ZENDESK_ROWS = pd.DataFrame({
    "Id": ["101", "102", "103", "104"], "Subject": ["a", "b", "c", "d"],
    "Status": ["Solved", "Closed", "Pending", "On-hold"],
    "Priority": ["Urgent", "High", "Normal", "Low"],
    "Assignee": ["Ann", "Bo", "Ann", ""], "Group": ["Tier 1", "Tier 2", "", "Billing"],
    "Created at": ["2026-03-02T09:00:00+02:00", "2026-03-02T10:00:00Z", "2026-03-03 08:00:00 +0000",
                   ""],
    "Solved at": ["2026-03-02T12:00:00+02:00", "2026-03-03T10:00:00Z", "", ""],
    "Resolution time": ["3", "24", "", ""],
    "First reply time in minutes": ["15", "90", "", "-4"],
    "Full resolution time in minutes": ["180", "1440", "", ""],
})


def test_zendesk_values():
    tickets, report = tickets_of(ZENDESK_ROWS)
    assert report.detected_as == "Zendesk ticket export"
    assert [t["priority"] for t in tickets.values()] == ["P1", "P2", "P3", "P4"]
    assert [t["status_class"] for t in tickets.values()] == \
        ["resolved", "resolved", "pending", "pending"]
    assert [t["response_hours"] for t in tickets.values()] == [0.25, 1.5, None, None]
    assert [t["resolution_hours"] for t in tickets.values()] == [3.0, 24.0, None, None]
    assert report.durations_not_parsed == 1  # the negative reply time
    assert tickets["101"]["created"] == dt.datetime(2026, 3, 2, 7, 0)
    assert [t["team"] for t in tickets.values()] == ["L1", "L2", "Unassigned", "Other"]
    # No outcome column: computed from the targets (P1 0.5 / 4 h, P2 1 / 8 h).
    assert [t["response_sla"] for t in tickets.values()] == ["met", "breached", None, None]
    assert [t["resolution_sla"] for t in tickets.values()] == ["met", "breached", None, None]
    assert "Resolution time" in tickets["101"]["extra"]  # kept, not read as hours


def test_zendesk_explore_values():
    frame = pd.DataFrame({"Ticket ID": ["7"], "Ticket status": ["Solved"],
                          "Ticket priority": ["Normal"], "Ticket group": ["Level 2"],
                          "Assignee name": ["Cy"],
                          "Ticket created - Timestamp": ["2026-03-02T09:00:00Z"],
                          "Ticket solved - Timestamp": ["2026-03-02T19:00:00Z"],
                          "First reply time (min)": ["30"], "Full resolution time (hrs)": ["10"]})
    tickets, report = tickets_of(frame)
    assert report.detected_as == "Zendesk Explore ticket export"
    ticket = tickets["7"]
    assert (ticket["priority"], ticket["status_class"], ticket["team"], ticket["owner"],
            ticket["resolved_by"]) == ("P3", "resolved", "L2", "Cy", None)
    assert (ticket["response_hours"], ticket["resolution_hours"]) == (0.5, 10.0)


def test_servicenow_list_values():
    frame = pd.DataFrame({
        "number": ["INC1", "INC2", "INC3"], "incident_state": ["Resolved", "On Hold", "7"],
        "priority": ["1 - Critical", "4 - Low", "5 - Planning"],
        "assignment_group": ["Service Desk L1", "Network", ""],
        "resolved_by": ["Beth Anglin", "", "Don Goodliffe"],
        "opened_at": ["2026-03-02 09:00:00", "2026-03-02 10:00:00", "2026-03-02 11:00:00"],
        "resolved_at": ["2026-03-02 11:00:00", "", "2026-03-09 11:00:00"],
        "made_sla": ["true", "false", "false"],
        "calendar_stc": ["7,200", "", "604800"], "business_stc": ["3600", "", "1,234,567"]})
    tickets, report = tickets_of(frame)
    assert report.detected_as == "ServiceNow list export" and report.notes == []
    assert [t["status"] for t in tickets.values()] == ["Resolved", "On Hold", "Closed"]
    assert [t["priority"] for t in tickets.values()] == ["P1", "P4", "P5"]
    assert [t["resolution_hours"] for t in tickets.values()] == [2.0, None, 168.0]
    assert [t["resolution_sla"] for t in tickets.values()] == ["met", "breached", "breached"]
    assert tickets["INC1"]["extra"]["business_stc"] == "3600"


def test_the_servicenow_rest_demo_file_imports_with_the_right_mapping(db):
    if not REST_DEMO.exists():
        pytest.skip("shared/data/servicenow_demo_incidents_REST.csv is absent")
    raw = pd.read_csv(REST_DEMO, dtype=str, keep_default_na=False)
    report = importing.import_file(db, REST_DEMO)
    assert report.detected_as == "ServiceNow REST export"
    assert report.mapping == {
        "sr_number": "number", "status": "incident_state", "priority": "priority",
        "category": "category", "created": "opened_at", "resolved_at": "resolved_at",
        "resolved_by": "resolved_by", "team_raw": "assignment_group",
        "resolution_hours": "calendar_stc", "resolution_sla": "made_sla"}
    assert (report.tickets, report.inserted, report.rejected) == (len(raw), len(raw), 0)
    assert report.durations_not_parsed == report.dates_not_parsed == 0
    assert report.sla_not_recognised == 0
    assert any(note.startswith("resolved_by holds record ids") for note in report.notes)
    closed = int((raw["incident_state"].isin(["6", "7", "8"])).sum())
    assert db.tickets.count_documents({"status_class": "resolved"}) == closed > 0
    assert db.tickets.count_documents({"status": "Closed"}) == \
        int((raw["incident_state"] == "7").sum())
    first = db.tickets.find_one({"_id": "INC0000060"})
    assert first["resolution_hours"] == approx(102197 / 3600)
    assert first["resolved_by"] == "5137153cc611227c000bbd1bd8cd2007"
    assert first["priority"] == "P3" and first["resolution_sla"] == "met"
    levels = raw["priority"].map(lambda p: f"P{p}")
    assert sorted(t["priority"] for t in db.tickets.find({}, {"priority": 1})) == sorted(levels)
    summary = metrics.summary(versions.snapshot(db), Filters(), get_settings(db))
    assert (summary["resolution_met"], summary["resolution_breached"]) == \
        (int((raw["made_sla"] == "true").sum()), int((raw["made_sla"] == "false").sum()))


# ---------------------------------------------------------------- detection

@pytest.mark.parametrize("frame, preset", [
    (JIRA_ROWS, presets.JIRA), (ZENDESK_ROWS, presets.ZENDESK),
    (pd.DataFrame({"Ticket ID": ["1"], "Ticket status": ["Open"]}), presets.ZENDESK_EXPLORE),
    (pd.DataFrame({"number": ["INC1"], "sys_id": ["a" * 32]}), presets.SERVICENOW_REST),
    (pd.DataFrame({"number": ["INC1"], "opened_at": ["2026-03-02"]}), presets.SERVICENOW_LIST),
    (pd.DataFrame({"Number": ["INC1"], "Opened": ["2026-03-02"], "Assignment group": ["L1"]}),
     presets.SERVICENOW_LIST)])
def test_each_tool_is_detected_from_its_headers(frame, preset):
    assert presets.detect(list(frame.columns)) is preset
    assert table_of(frame).preset is preset


def test_headers_are_compared_ignoring_case_and_spacing():
    assert presets.detect(["ISSUE  KEY", "issue id"]) is presets.JIRA
    assert presets.detect(["Issue_key", "Issue-id"]) is None  # not Jira's own spelling


def test_the_seed_layout_and_other_files_are_not_detected(seed_frame):
    assert presets.detect(list(seed_frame.columns)) is None
    assert presets.detect(demo.SEED_COLUMNS) is None
    table = read.read_table(HAND_CSV.encode(), "hand.csv")
    assert table.preset is None and table.mapping == map_headers(table.headers)
    assert presets.detect(["Id", "Status", "Created at"]) is None  # Id alone is no Zendesk
    assert presets.detect(["Issue key", "Status"]) is None


def test_a_seed_file_reads_as_before(seed_xlsx):
    """Tickets of a file no preset reads carry no preset and keep the contract's words."""
    table = read.read_table(seed_xlsx)
    tickets, report = parse_tickets(table, copy.deepcopy(rules.DEFAULT_SETTINGS))
    assert report.detected_as == "" and all("preset" not in t for t in tickets)
    ticket = {"priority_raw": "Urgent", "status": "Solved", "team_raw": None,
              "response_sla_in_file": False, "resolution_sla_in_file": True,
              "resolution_sla_raw": "-1h"}
    derived = normalise.derive(ticket, rules.DEFAULT_SETTINGS)
    assert (derived["priority"], derived["status_class"], derived["resolution_sla"]) == \
        ("Urgent", "pending", None)
    zendesk = normalise.derive({**ticket, "preset": "zendesk"}, rules.DEFAULT_SETTINGS)
    assert (zendesk["priority"], zendesk["status_class"]) == ("P1", "resolved")


def test_the_uci_log_is_read_as_a_servicenow_list_export(uci_csv):
    table = read.read_table(uci_csv)
    assert table.preset is presets.SERVICENOW_LIST
    assert table.mapping == map_headers(table.headers)  # the same columns as before


# ---------------------------------------------------------------- overrides and saved mappings

def test_a_chosen_column_overrides_the_preset(db):
    frame = JIRA_ROWS.assign(**{"SLA Status": ["Breached", "Met", "Met", "Met", "Met"]})
    content = frame.to_csv(index=False).encode()
    table = read.read_table(content, "jira.csv")
    mapping = {**table.detected, "resolution_sla": "SLA Status", "team_raw": "Summary"}
    report = importing.import_file(db, content, "jira.csv", mapping=mapping)
    assert report.detected_as == "Jira Service Management issue export"
    assert report.mapping["resolution_sla"] == "SLA Status"
    outcomes = {t["_id"]: t["resolution_sla"] for t in db.tickets.find({}, {"resolution_sla": 1})}
    assert outcomes == {"SD-1": "breached", "SD-2": "met", "SD-3": "met", "SD-4": "met",
                        "SD-5": "met"}
    assert db.tickets.find_one({"_id": "SD-1"})["team_raw"] == "a"
    assert db.tickets.find_one({"_id": "SD-1"})["priority"] == "P1"  # Jira's words still
    # The tool's remaining-time column keeps its reading in whichever field it feeds.
    moved = {**table.detected, "response_sla": "Custom field (Time to resolution)",
             "resolution_sla": None}
    importing.import_file(db, content, "jira.csv", mapping=moved)
    assert db.tickets.find_one({"_id": "SD-2"})["response_sla"] == "breached"


def test_a_named_mapping_is_saved_offered_again_and_used_by_the_cli(db, cli_env, tmp_path):
    frame = ZENDESK_ROWS.rename(columns={"Group": "Squad"})
    content = frame.to_csv(index=False).encode()
    table = read.read_table(content, "z.csv")
    assert "team_raw" not in table.detected
    importing.import_file(db, content, "z.csv", user="alice",
                      mapping={**table.detected, "team_raw": "Squad"}, saved_as="  Zendesk squads ")
    saved = mappings.saved_mapping(db, table.headers)
    assert saved["name"] == "Zendesk squads" and saved["mapping"]["team_raw"] == "Squad"
    # Another layout (a column more, another order) takes the named mapping only when asked.
    other = frame.assign(Tags="vip")[["Tags", *frame.columns]]
    other["Squad"] = ["Level 2", "Level 2", "Level 2", "Level 2"]
    path = tmp_path / "later.csv"
    path.write_bytes(other.to_csv(index=False).encode())
    cli_db = database(cli_env)
    sla(cli_env, "import", path)
    assert cli_db.tickets.find_one({"_id": "101"})["team"] == "Unassigned"
    result = sla(cli_env, "import", path, "--mapping", "Zendesk squads")
    assert "Detected: Zendesk ticket export" in result.stdout
    assert {t["team"] for t in cli_db.tickets.find({}, {"team": 1})} == {"L2"}
    cli_db.client.close()


def test_an_unknown_mapping_name_is_one_line(cli_env, tmp_path):
    path = tmp_path / "z.csv"
    path.write_bytes(ZENDESK_ROWS.to_csv(index=False).encode())
    result = sla(cli_env, "import", path, "--mapping", "nope", ok=False)
    assert result.returncode != 0
    assert result.stderr.strip().startswith("error: No saved column mapping is called 'nope'")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_named_mapping_whose_column_is_missing_is_refused(db):
    content = ZENDESK_ROWS.rename(columns={"Group": "Squad"}).to_csv(index=False).encode()
    table = read.read_table(content, "z.csv")
    importing.import_file(db, content, "z.csv", mapping={**table.detected, "team_raw": "Squad"},
                      saved_as="squads")
    with pytest.raises(MappingError, match="'Squad' of the saved mapping 'squads'"):
        importing.import_file(db, ZENDESK_ROWS.to_csv(index=False).encode(), "plain.csv",
                          named="squads")


def test_a_name_moves_to_the_layout_saved_last(db):
    first = ZENDESK_ROWS.rename(columns={"Group": "Squad"})
    second = first.assign(Extra="x")
    for frame in (first, second):
        content = frame.to_csv(index=False).encode()
        table = read.read_table(content, "z.csv")
        importing.import_file(db, content, "z.csv", mapping={**table.detected, "team_raw": "Squad"},
                          saved_as="squads")
    assert db.mappings.count_documents({"name": "squads"}) == 1
    assert mappings.saved_mapping(db, list(first.columns))["name"] is None
    assert mappings.saved_mapping(db, list(second.columns))["name"] == "squads"


# ---------------------------------------------------------------- the Upload page

def test_the_upload_page_names_the_tool_and_saves_a_named_mapping(app_db):  # noqa: F811 (fixture)
    from sla.storage import users
    from tests.test_pages import PASSWORD
    from tests.test_upload_page import choose, uploaded

    users.add_user(app_db, "alice", PASSWORD, "admin")
    content = ZENDESK_ROWS.rename(columns={"Group": "Squad"}).to_csv(index=False).encode()
    app = uploaded("zendesk.csv", content)
    detected = [i.value for i in app.info if i.value.startswith("Detected:")]
    assert detected == ["Detected: Zendesk ticket export, so its columns and value formats are "
                        "read as that tool writes them (choose another column below to "
                        "override any field)."]
    assert "Detected: Zendesk ticket export" in [c.value for c in app.caption]  # dry run
    choose(app, content, list(FIELD_NAMES).index("team_raw"), "Squad")
    app.text_input[0].input("Zendesk squads").run()
    next(b for b in app.button if b.label == "Import").click().run()
    assert app_db.mappings.find_one()["name"] == "Zendesk squads"
    assert {t["team"] for t in app_db.tickets.find()} == {"L1", "L2", "Other", "Unassigned"}
    again = uploaded("again.csv", content.replace(b"Ann", b"Anne"))
    (line,) = [i.value for i in again.info if "column mapping" in i.value]
    assert line.startswith("Using the column mapping “Zendesk squads” saved on ")
    assert again.text_input[0].value == "Zendesk squads"


def test_docs_list_every_preset_with_its_headers_and_words():
    from tests.conftest import ROOT

    text = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    section = text.split("\n## Native exports\n", 1)[1].split("\n## ", 1)[0]
    for preset in presets.PRESETS:
        part = section.split(f"\n### {preset.name}\n", 1)[1].split("\n### ", 1)[0]
        headers = [h for candidates in preset.columns.values() for h in candidates]
        if preset is presets.SERVICENOW_REST:  # its labels are listed with the list export
            headers = [h for h in headers if h.islower()]
        if preset is presets.SERVICENOW_LIST:  # "the columns of the REST export above"
            headers = [h for h in headers if not h.islower()]
        for header in headers + [h for signature in preset.signatures for h in signature]:
            assert header in part, (preset.name, header)
        for word, level in preset.priority_words.items():
            assert f"{word.capitalize()} {level}" in part, (preset.name, word)
        for word in preset.resolved_words:
            assert word in part, (preset.name, word)
