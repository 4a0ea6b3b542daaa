"""Overdue and at-risk lists (``sla.analytics.risk``) on the ten hand-checked tickets, on the
24x7 clock and on a business-hours calendar, with paused statuses."""

from __future__ import annotations

import datetime as dt

import pytest
from pytest import approx

from sla.analytics import metrics, risk
from sla.core.filters import Filters
from sla.service import edits, importing
from sla.storage import versions
from sla.storage.settings import get_settings
from tests.handset import HAND_CSV, hand_bytes

OFFICE = {"name": "Office", "timezone": "UTC", "hours": ["Mon-Fri 08:00-18:00"],
          "holidays": []}


@pytest.fixture
def hand_db(db):
    """The test database holding the ten hand-checked tickets."""
    importing.import_file(db, hand_bytes(), "hand.csv")
    return db


def lists(db, at: dt.datetime, settings: dict | None = None) -> dict:
    return risk.risk_lists(versions.snapshot(db), Filters(), settings or get_settings(db), at)


def srs(result: dict, state: str) -> list[str]:
    return [row["sr_number"] for row in result["tickets"] if row["state"] == state]


def test_overdue_and_at_risk_are_measured_at_the_given_time(hand_db):
    result = lists(hand_db, dt.datetime(2026, 3, 19))
    assert srs(result, "overdue") == ["T3", "T6", "T10"]  # most overdue first
    assert srs(result, "at risk") == []
    assert result["counts"] == {"overdue": 3, "at_risk": 0, "paused": 0}
    first = result["tickets"][0]
    assert first["hours_left"] == approx(24 - (14 * 24 + 13))  # created 4 March 11:00
    assert first["worked_hours"] == approx(14 * 24 + 13) and first["calendar"] == "24x7"
    early = lists(hand_db, dt.datetime(2026, 3, 18, 2))
    assert "T10" not in srs(early, "at risk") + srs(early, "overdue")  # 2 h of 4: below 3.2 h


def test_the_share_and_the_hours_left_both_put_a_ticket_at_risk(hand_db):
    settings = get_settings(hand_db)
    at = dt.datetime(2026, 3, 18, 2, 30)  # T10 (P1, 4 h) is 2.5 h old
    settings["at_risk_fraction"] = 0.5
    assert srs(lists(hand_db, at, settings), "at risk") == ["T10"]
    settings["at_risk_fraction"], settings["at_risk_hours"] = 0.9, 1.5
    assert srs(lists(hand_db, at, settings), "at risk") == ["T10"]  # 1.5 h left
    settings["at_risk_hours"] = 1.4
    assert srs(lists(hand_db, at, settings), "at risk") == []


def test_a_business_hours_calendar_counts_only_working_time(hand_db):
    settings = get_settings(hand_db)
    settings["calendars"], settings["team_calendars"] = [OFFICE], {"L1": "Office"}
    edits.save_settings(hand_db, settings)
    # T10: L1, P1 (4 working hours), created Wed 18 March 00:00: the clock starts at 08:00
    assert srs(lists(hand_db, dt.datetime(2026, 3, 18, 11)), "at risk") == []  # 3 h used
    at_risk = lists(hand_db, dt.datetime(2026, 3, 18, 11, 30))
    assert srs(at_risk, "at risk") == ["T10"]
    row = at_risk["tickets"][-1]
    assert (row["worked_hours"], row["hours_left"], row["calendar"]) == (3.5, 0.5, "Office")
    overdue = lists(hand_db, dt.datetime(2026, 3, 18, 13))
    assert overdue["tickets"][-1]["sr_number"] == "T10"
    assert overdue["tickets"][-1]["hours_left"] == approx(-1)
    # T6 is Unassigned, still on 24x7
    assert next(r for r in overdue["tickets"] if r["sr_number"] == "T6")["calendar"] == "24x7"


def test_a_ticket_paused_now_is_in_neither_list(db):
    """A status in the paused list stops the clock: with no history of when the pause began,
    the ticket only counts as paused."""
    importing.import_file(db, hand_bytes(HAND_CSV.replace(
        "T3,2026-03-04 11:00,Open,", "T3,2026-03-04 11:00,Pending Customer,")), "hand.csv")
    settings = get_settings(db)
    settings["paused_statuses"] = ["pending customer"]
    edits.save_settings(db, settings)
    result = lists(db, dt.datetime(2026, 3, 19))
    assert srs(result, "overdue") == ["T6", "T10"]
    assert result["counts"]["paused"] == 1


def test_a_pause_seen_between_two_uploads_stops_the_clock_between_them(db):
    """Week 1 shows T10 waiting on the customer, week 2 open again: the time between the two
    uploads' clocks does not count."""
    settings = get_settings(db)
    settings["paused_statuses"] = ["Awaiting User Info"]
    edits.save_settings(db, settings)
    week1 = HAND_CSV.replace("T10,2026-03-18 00:00,Pending,", "T10,2026-03-18 00:00,Awaiting User Info,")
    importing.import_file(db, hand_bytes(week1), "week1.csv")  # its clock: 18 March 00:00
    week2 = HAND_CSV + "T11,2026-03-20 00:00,Open,P4,L1 Desk,,,,,\n"
    importing.import_file(db, hand_bytes(week2), "week2.csv")  # its clock: 20 March 00:00
    ticket = db.tickets.find_one({"_id": "T10"})
    assert [(p["at"], p["status"]) for p in ticket["timeline"]] == [
        (dt.datetime(2026, 3, 18), None),
        (dt.datetime(2026, 3, 18), "Awaiting User Info"),
        (dt.datetime(2026, 3, 20), "Pending")]
    assert ticket["paused_hours"] == 48.0
    result = lists(db, dt.datetime(2026, 3, 21))
    row = next(r for r in result["tickets"] if r["sr_number"] == "T10")
    assert row["worked_hours"] == 24.0 and row["hours_left"] == -20.0


def test_a_ticket_paused_since_a_known_time_is_in_neither_list(db):
    """T3 is seen open in week 1 and waiting on the customer in week 2: its pause began at
    week 2's clock, and while it lasts the ticket is only counted as paused."""
    settings = get_settings(db)
    settings["paused_statuses"] = ["Pending Customer"]
    edits.save_settings(db, settings)
    importing.import_file(db, hand_bytes(), "week1.csv")
    importing.import_file(db, hand_bytes(HAND_CSV.replace(
        "T3,2026-03-04 11:00,Open,", "T3,2026-03-04 11:00,Pending Customer,")), "week2.csv")
    assert db.tickets.find_one({"_id": "T3"})["paused_since"] is not None
    result = lists(db, dt.datetime(2026, 3, 19))
    assert "T3" not in srs(result, "overdue") + srs(result, "at risk")
    assert result["counts"]["paused"] == 1


def test_the_current_time_is_read_in_each_calendars_zone(hand_db):
    """T10 (L1, P1: 4 working hours) was created Wed 18 March 00:00, Madrid time. 10:30 UTC is
    11:30 in Madrid (UTC+1 in March): 3.5 working hours used since 08:00 there."""
    settings = get_settings(hand_db)
    madrid = {**OFFICE, "name": "Madrid", "timezone": "Europe/Madrid"}
    settings["calendars"], settings["team_calendars"] = [madrid], {"L1": "Madrid"}
    now_utc = dt.datetime(2026, 3, 18, 10, 30, tzinfo=dt.timezone.utc)
    result = lists(hand_db, now_utc, settings)
    row = next(r for r in result["tickets"] if r["sr_number"] == "T10")
    assert (row["worked_hours"], row["hours_left"]) == (approx(3.5), approx(0.5))
    assert result["as_of"] == dt.datetime(2026, 3, 18, 10, 30)  # shown as the store's UTC


def test_the_lists_are_measured_now_for_fresh_data_else_at_the_data_clock():
    at = dt.datetime(2026, 3, 18, 20)
    live = {"at": at, "basis": "import"}
    assert risk.risk_clock(live, at + dt.timedelta(hours=5)) == \
        {"at": at + dt.timedelta(hours=5), "basis": "now"}
    assert risk.risk_clock(live, at + dt.timedelta(days=2)) == live
    old = {"at": dt.datetime(2026, 3, 18), "basis": "data"}
    assert risk.risk_clock(old, at) == old
    assert risk.risk_clock({"at": None, "basis": "data"}, at)["at"] is None


def test_an_old_export_is_read_at_its_own_clock(hand_db):
    clock = metrics.data_clock(versions.snapshot(hand_db), dt.datetime(2026, 11, 25))
    result = lists(hand_db, clock["at"])
    assert srs(result, "overdue") == ["T3", "T6"]  # T10 was created at the clock
    assert result["tickets"][0]["worked_hours"] == approx(13 * 24 + 13)


def alert_lists(db, at: dt.datetime, within: float, filters: Filters = Filters()) -> dict:
    measured = risk.measured_open(versions.snapshot(db).frame, get_settings(db), at)
    return {name: frame["sr_number"].tolist()
            for name, frame in risk.alert_lists(risk.watched(measured, filters),
                                                within).items()}


def test_the_alerts_watch_every_overdue_ticket_and_those_due_within_the_look_ahead(hand_db):
    """As the risk lists measure them; the look-ahead counts working hours left, whatever
    the at-risk share (T10, P1, has 4 h at 00:00 and 1.5 h at 02:30)."""
    start = alert_lists(hand_db, dt.datetime(2026, 3, 18), 4.0)
    assert start == {"overdue": ["T3", "T6"], "due_soon": ["T10"]}
    assert alert_lists(hand_db, dt.datetime(2026, 3, 18), 3.9)["due_soon"] == []
    assert alert_lists(hand_db, dt.datetime(2026, 3, 18, 2, 30), 1.5)["due_soon"] == ["T10"]
    later = alert_lists(hand_db, dt.datetime(2026, 3, 19), 400.0)
    assert later == {"overdue": ["T3", "T6", "T10"], "due_soon": []}
    assert srs(lists(hand_db, dt.datetime(2026, 3, 19)), "overdue") == later["overdue"]
    assert alert_lists(hand_db, dt.datetime(2026, 3, 19), 1.0, Filters(teams=("L2",))) == {
        "overdue": ["T3"], "due_soon": []}
    assert risk.alert_lists(risk.watched(None, Filters()), 4.0)["overdue"].empty
