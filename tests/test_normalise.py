"""Normalising (contract sections 2-6): values, durations, dates, derived classes, folding."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sla.core import fields
from sla.ingest import normalise, stored_values
from sla.ingest.read import read_table
from sla.ingest.values import (
    BadValue,
    clean_sr_number,
    clean_text,
    parse_date_column,
    parse_duration,
    sla_word,
)
from tests.tickets import parse_tickets

SETTINGS = fields.DEFAULT_SETTINGS


def tickets_from_csv(text: str) -> tuple[list[dict], normalise.ImportReport]:
    return parse_tickets(read_table(text.encode(), "t.csv"), SETTINGS, "t.csv")


# ---------------------------------------------------------------- text

@pytest.mark.parametrize("raw", ["", "  ", "?", "-", "N/A", "na", "NULL", "None", "none"])
def test_empty_words_are_empty(raw):
    assert clean_text(raw) is None


def test_text_is_trimmed_and_whole_numbers_lose_the_point():
    assert clean_text("  Open   now ") == "Open now"
    assert clean_sr_number(1001.0) == "1001"
    assert clean_sr_number("1001.0") == "1001"
    assert clean_sr_number(" SR-7 ") == "SR-7"
    assert clean_sr_number(1001.5) == "1001.5"


# ---------------------------------------------------------------- durations

@pytest.mark.parametrize("text, hours", [
    ("5:30", 5.5), ("129:45", 129.75), ("0:45:36", 0.76), ("2 days 03:30", 51.5),
    ("1 day 00:30:00", 24.5), ("1h 30m", 1.5), ("2d 4h", 52.0), ("45m", 0.75),
    ("90 min", 1.5), ("1 hour 15 minutes", 1.25), ("30s", 1 / 120),
])
def test_duration_text_forms(text, hours):
    assert parse_duration(text) == pytest.approx(hours)


def test_a_clock_stops_at_59_minutes_and_seconds():
    assert parse_duration("0:59") == pytest.approx(59 / 60)
    assert parse_duration("1:59:59.5") == pytest.approx(1 + 59 / 60 + 59.5 / 3600)


def test_the_tables_notes_reach_the_import_report():
    report, chunks = normalise.iter_tickets(read_table(b"SR Number,Status\n", "h.csv"), SETTINGS)
    assert list(chunks) == [] and report.tickets == 0
    assert report.notes == ["the file has a header row but no tickets"]


def test_duration_cells_excel_stores_as_time_or_timedelta():
    assert parse_duration(dt.time(5, 30)) == 5.5
    assert parse_duration(dt.timedelta(days=5, hours=9, minutes=45)) == 129.75
    # a [h]:mm cell over a day that a reader returns as a date (serial 5.40625)
    assert parse_duration(dt.datetime(1900, 1, 5, 9, 45)) == pytest.approx(129.75)


@pytest.mark.parametrize("unit, value, hours", [
    ("hrs", 3.5, 3.5), ("hours", 2, 2.0), ("min", 90, 1.5), ("mins", 30, 0.5),
    ("minutes", 45, 0.75), ("sec", 7200, 2.0), ("seconds", 1800, 0.5), ("days", 1.5, 36.0),
    (None, 0.2291666666, 5.5),  # a bare number is an Excel duration in days
])
def test_bare_numbers_take_the_header_unit(unit, value, hours):
    assert parse_duration(value, unit) == pytest.approx(hours, abs=1e-6)
    assert parse_duration(str(value), unit) == pytest.approx(hours, abs=1e-6)


@pytest.mark.parametrize("junk", ["-1:30", "-5", "soon", "12:xx", True, -0.5,
                                  "99:99", "12:75", "1:00:75", "2 days 10:60", "0:00:60"])
def test_negative_or_unparseable_durations(junk):
    with pytest.raises(BadValue):
        parse_duration(junk)


def test_bad_durations_become_empty_and_are_reported_with_their_row():
    tickets, report = tickets_from_csv(
        "SR,Response Time (hh:mm),Resolution Time (hrs)\nA,1:30,2\nB,soon,-3\nC,,4.5\n")
    assert [t["response_hours"] for t in tickets] == [1.5, None, None]
    assert [t["resolution_hours"] for t in tickets] == [2.0, None, 4.5]
    assert report.durations_not_parsed == 2
    assert {(p["row"], p["column"]) for p in report.problems} == {
        (3, "Response Time (hh:mm)"), (3, "Resolution Time (hrs)")}


def test_resolution_hours_from_dates_when_the_file_has_no_resolution_time():
    tickets, report = tickets_from_csv(
        "number,opened_at,resolved_at\nI1,29/2/2016 01:16,29/2/2016 11:31\n"
        "I2,1/3/2016 10:00,\nI3,2/3/2016 10:00,1/3/2016 10:00\n")
    assert tickets[0]["resolution_hours"] == pytest.approx(10.25)
    assert tickets[1]["resolution_hours"] is None
    assert tickets[2]["resolution_hours"] is None
    assert report.durations_not_parsed == 1


# ---------------------------------------------------------------- dates

def dates(values: list) -> tuple[list, str]:
    parsed, order, _ = parse_date_column(pd.Series(values, dtype=object))
    return [None if pd.isna(v) else v.to_pydatetime() for v in parsed], order


def test_day_first_when_a_first_part_is_above_12():
    parsed, order = dates(["03/04/2026", "29/2/2016 01:16"])
    assert order == "day-first"
    assert parsed == [dt.datetime(2026, 4, 3), dt.datetime(2016, 2, 29, 1, 16)]


def test_month_first_when_a_second_part_is_above_12():
    parsed, order = dates(["03/04/2026 10:00", "12/25/2025 1:05 PM"])
    assert order == "month-first"
    assert parsed == [dt.datetime(2026, 3, 4, 10, 0), dt.datetime(2025, 12, 25, 13, 5)]


def test_undecided_columns_are_read_day_first_and_reported():
    tickets, report = tickets_from_csv("SR,Created\nA,03/04/2026\n")
    assert tickets[0]["created"] == dt.datetime(2026, 4, 3)
    assert report.date_order["created"].startswith("undetermined")
    assert any("day-first" in note for note in report.notes)


def test_iso_and_excel_dates_are_exact():
    parsed, _ = dates(["2026-01-02T03:04:05Z", "2026-01-02 05:06", "2026-01-02T10:00:00+02:00"])
    assert parsed == [dt.datetime(2026, 1, 2, 3, 4, 5), dt.datetime(2026, 1, 2, 5, 6),
                      dt.datetime(2026, 1, 2, 8, 0)]
    parsed, order = dates([dt.datetime(2026, 5, 1, 9, 30), dt.date(2026, 5, 2)])
    assert parsed == [dt.datetime(2026, 5, 1, 9, 30), dt.datetime(2026, 5, 2)]


def test_unparseable_dates_are_counted():
    tickets, report = tickets_from_csv("SR,Created\nA,yesterday\nB,?\nC,2026-01-01\n")
    assert [t["created"] for t in tickets] == [None, None, dt.datetime(2026, 1, 1)]
    assert report.dates_not_parsed == 1


# ---------------------------------------------------------------- derived classes

@pytest.mark.parametrize("status, expected", [
    ("Resolved", "resolved"), ("CLOSED", "resolved"), ("completed", "resolved"), ("Done", "resolved"),
    ("Cancelled", "resolved"), ("canceled", "resolved"), ("Open", "pending"),
    ("In Progress", "pending"), (None, "pending"),
])
def test_status_class(status, expected):
    assert normalise.status_class(status, SETTINGS["resolved_statuses"]) == expected


@pytest.mark.parametrize("raw, team", [
    (None, "Unassigned"), ("", "Unassigned"), ("  ", "Unassigned"),
    ("L1", "L1"), ("L1 - Service Desk", "L1"), ("IT_L1_Support", "L1"), ("Level 1", "L1"),
    ("level1 desk", "L1"), ("Tier-1", "L1"), ("1st Line", "L1"), ("First line support", "L1"),
    ("L2 Apps", "L2"), ("LEVEL 2", "L2"), ("tier2", "L2"), ("2nd line", "L2"),
    ("Second Line Infra", "L2"), ("Business Team - Finance", "Business"), ("BT", "Business"),
    ("bt", "Business"), ("Functional Support", "Business"), ("Data Team", "Business"),
    ("L10", "Other"), ("L1X", "Other"), ("BTX", "Other"), ("BT Ops", "Other"),
    ("Group 56", "Other"), ("Network Operations", "Other"),
])
def test_team_rules(raw, team):
    assert normalise.team_of(raw, SETTINGS["team_rules"]) == team


@pytest.mark.parametrize("raw, priority", [
    ("P1", "P1"), ("p3", "P3"), ("1", "P1"), ("5", "P5"), ("2 - High", "P2"),
    ("3 - Moderate", "P3"), ("Critical", "P1"), ("high", "P2"), ("Moderate", "P3"),
    ("Medium", "P3"), ("Low", "P4"), ("Planning", "P5"), ("Urgent", "Urgent"), ("P6", "P6"),
    (None, None),
])
def test_priority(raw, priority):
    assert normalise.priority_of(raw) == priority


@pytest.mark.parametrize("word", ["Met", "yes", "Y", "TRUE", "1", "Within SLA", "achieved", "In SLA"])
def test_sla_met_words(word):
    assert sla_word(word) == "met"


@pytest.mark.parametrize("word", ["Breached", "no", "n", "false", "0", "Violated", "missed",
                                  "Out of SLA", "not met"])
def test_sla_breached_words(word):
    assert sla_word(word) == "breached"


def test_unrecognised_sla_values_are_empty_and_counted():
    tickets, report = tickets_from_csv("SR,Made SLA\nA,true\nB,maybe\nC,\nD,0\n")
    assert [t["resolution_sla"] for t in tickets] == ["met", None, None, "breached"]
    assert report.sla_not_recognised == 1


def test_sla_is_computed_from_hours_and_targets_when_the_file_has_no_sla_column():
    tickets, _ = tickets_from_csv(
        "SR,Priority,Response Time (hrs),Resolution Time (hrs)\n"
        "A,P1,0.5,4\nB,P1,0.6,4.1\nC,,0.1,1\nD,P3,,\n")
    assert [(t["response_sla"], t["resolution_sla"]) for t in tickets] == [
        ("met", "met"), ("breached", "breached"), (None, None), (None, None)]


def test_sla_column_in_the_file_wins_over_hours():
    tickets, _ = tickets_from_csv("SR,Priority,Response Time (hrs),Response SLA\nA,P1,9,Met\n")
    assert tickets[0]["response_sla"] == "met"
    assert tickets[0]["resolution_sla"] is None  # no column and no hours


# ---------------------------------------------------------------- rows and tickets

def test_rows_without_sr_are_rejected_and_duplicates_folded_last_wins():
    tickets, report = tickets_from_csv(
        "SR Number,Status\nA,Open\nB,Open\n,Total\nA,Resolved\n1001.0,Open\n")
    assert [(t["sr_number"], t["status"]) for t in tickets] == [
        ("B", "Open"), ("A", "Resolved"), ("1001", "Open")]
    assert report.rows_read == 5 and report.tickets == 3
    assert report.folded == 1
    assert report.rejected == 1 and report.rejected_rows == [{"row": 4, "reason": "no SR number"}]


def test_raw_values_are_kept_beside_derived_ones():
    tickets, report = tickets_from_csv("SR,Team,Priority,Status\nA,IT L2 Apps,2 - High,Closed\nB,Mystery,,\n")
    assert tickets[0]["team_raw"] == "IT L2 Apps" and tickets[0]["team"] == "L2"
    assert tickets[0]["priority_raw"] == "2 - High" and tickets[0]["priority"] == "P2"
    assert tickets[1]["team"] == "Other"
    assert report.teams_other == {"Mystery": 1}


def test_unknown_columns_are_kept_with_safe_keys():
    tickets, _ = tickets_from_csv("SR,$where,a.b,Colour\nA,x,y,blue\n")
    extra = tickets[0]["extra"]
    assert extra == {"\uff04where": "x", "a\uff0eb": "y", "Colour": "blue"}
    assert {stored_values.unescape_key(k) for k in extra} == {"$where", "a.b", "Colour"}


def test_content_hash_changes_with_the_file_values_only():
    (a,), _ = tickets_from_csv("SR,Status\nA,Open\n")
    (b,), _ = tickets_from_csv("SR,Status\nA,Open\n")
    (c,), _ = tickets_from_csv("SR,Status\nA,Closed\n")
    assert a["content_hash"] == b["content_hash"] != c["content_hash"]


def test_seed_export_tickets(seed_xlsx, seed_frame):
    tickets, report = parse_tickets(read_table(seed_xlsx), SETTINGS)
    assert report.rejected == 0 and len(tickets) == len(seed_frame)
    first = seed_frame.iloc[0]
    ticket = tickets[0]
    assert ticket["sr_number"] == first["SR Number"]
    assert ticket["response_sla"] == first["Response SLA Status"].lower()
    hours, minutes = map(int, first["Response Time (hh:mm)"].split(":"))
    assert ticket["response_hours"] == pytest.approx(hours + minutes / 60)
    assert ticket["extra"]["Raised For"] == first["Raised For"]
    assert report.durations_not_parsed == 0 and report.dates_not_parsed == 0
