"""Hand-offs (``sla.analytics.handoffs``) on hand-worked event logs and snapshot uploads, and on the
real UCI log against plain pandas over its event rows."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sla.analytics import handoffs, metrics
from sla.core.filters import Filters
from sla.service import edits, importing
from sla.storage import snapshots, uploads, versions
from sla.storage.settings import get_settings
from sla.storage.tickets import get_ticket

approx = pytest.approx

# INC1 (P3, target 24 h): L1 08:00 → L2 10:00 → L1 next day 10:00 → resolved 12:00, SLA
# breached; the target passed on 3 Mar 08:00, while L2 held it. INC2 (P1): L1 only, 0.5 h.
# INC3 (P2): one row, pending with L2 since 4 Mar 08:00.
EVENT_LOG = """\
Number,Opened At,Updated At,State,Priority,Assignment Group,Resolved At,Made SLA
INC1,2026-03-02 08:00,2026-03-02 08:00,New,3 - Moderate,Service Desk L1,,
INC1,2026-03-02 08:00,2026-03-02 10:00,Active,3 - Moderate,App Support L2,,
INC2,2026-03-02 09:00,2026-03-02 09:00,New,1 - Critical,Service Desk L1,,
INC1,2026-03-02 08:00,2026-03-03 10:00,Active,3 - Moderate,Service Desk L1,,
INC2,2026-03-02 09:00,2026-03-02 09:30,Resolved,1 - Critical,Service Desk L1,2026-03-02 09:30,true
INC1,2026-03-02 08:00,2026-03-03 12:00,Resolved,3 - Moderate,Service Desk L1,2026-03-03 12:00,false
INC3,2026-03-04 08:00,2026-03-04 09:00,Active,2 - High,App Support L2,,
"""
NOW = dt.datetime(2026, 3, 5, 8, 0)


@pytest.fixture
def log_db(db):
    """The test database holding the three hand-worked tickets of ``EVENT_LOG``."""
    importing.import_file(db, EVENT_LOG.encode(), "events.csv")
    return db


def check_total(result: dict) -> float:
    """Hours held by all teams minus the tickets' open hours: 0 up to rounding."""
    return float(sum(row["hours_held"] for row in result["teams"]) - result["hours_open"])


def by_team(result: dict, key: str = "team") -> dict:
    return {row[key]: row for row in result["teams"]}


def test_event_log_gives_exact_hours_per_team(log_db):
    result = handoffs.handoffs(versions.snapshot(log_db), Filters(), get_settings(log_db), NOW)
    teams = by_team(result)
    assert set(teams) == {"L1", "L2"}
    assert teams["L1"] == {"team": "L1", "tickets": 2, "hours_held": approx(4.5),
                           "median_hours_held": approx(2.25), "handoffs_in": 1,
                           "handoffs_out": 1, "breaches_owned": 0}
    assert teams["L2"] == {"team": "L2", "tickets": 2, "hours_held": approx(48.0),
                           "median_hours_held": approx(24.0), "handoffs_in": 1,
                           "handoffs_out": 1, "breaches_owned": 1}
    assert result["hours_open"] == approx(28 + 0.5 + 24)
    assert check_total(result) == approx(0.0, abs=1e-9)
    assert (result["tickets"], result["tickets_handed_off"]) == (3, 1)
    assert result["approximate"] is False


def test_who_handed_to_whom_and_how_long_the_first_held_it(log_db):
    """INC1 went L1 (2 h) → L2 (24 h) → L1: one hand-off each way."""
    settings = get_settings(log_db)
    result = handoffs.handoffs(versions.snapshot(log_db), Filters(), settings, NOW)
    assert result["transfers"] == [
        {"from": "L1", "to": "L2", "handoffs": 1, "median_hours_before": approx(2.0)},
        {"from": "L2", "to": "L1", "handoffs": 1, "median_hours_before": approx(24.0)}]
    raw = handoffs.handoffs(versions.snapshot(log_db), Filters(), settings, NOW, raw=True)
    assert [(t["from"], t["to"]) for t in raw["transfers"]] == [
        ("App Support L2", "Service Desk L1"), ("Service Desk L1", "App Support L2")]
    only_p1 = handoffs.handoffs(versions.snapshot(log_db), Filters(priorities=("P1",)),
                                settings, NOW)
    assert only_p1["transfers"] == []


def test_raw_level_and_filters(log_db):
    settings = get_settings(log_db)
    raw = by_team(handoffs.handoffs(versions.snapshot(log_db), Filters(), settings, NOW, raw=True), "team_raw")
    assert raw["App Support L2"]["team"] == "L2"
    assert raw["App Support L2"]["hours_held"] == approx(48.0)
    assert raw["Service Desk L1"]["breaches_owned"] == 0
    only_p1 = handoffs.handoffs(versions.snapshot(log_db), Filters(priorities=("P1",)), settings, NOW)
    assert by_team(only_p1) == {"L1": {"team": "L1", "tickets": 1, "hours_held": approx(0.5),
                                       "median_hours_held": approx(0.5), "handoffs_in": 0,
                                       "handoffs_out": 0, "breaches_owned": 0}}


def test_snapshot_uploads_place_a_change_at_the_later_upload(db):
    first = "SR Number,Created,Status,Priority,Team\nT1,2026-03-01 08:00,Open,P3,L1 Desk\n"
    second = ("SR Number,Created,Status,Priority,Team\nT1,2026-03-01 08:00,Open,P3,L2 Apps\n"
              "T2,2026-03-05 08:00,Open,P4,L2 Apps\n")
    importing.import_file(db, first.encode(), "week1.csv")
    importing.import_file(db, second.encode(), "week2.csv")
    timeline = get_ticket(db, "T1")["timeline"]  # the status is known from week 1's clock on
    assert [(p["team_raw"], p["status"]) for p in timeline] == [
        ("L1 Desk", None), ("L1 Desk", "Open"), ("L2 Apps", "Open")]
    result = handoffs.handoffs(versions.snapshot(db), Filters(), get_settings(db), dt.datetime(2026, 3, 6, 8))
    teams = by_team(result)
    assert teams["L1"]["hours_held"] == approx(96.0)  # 1 Mar 08:00 to the file's 5 Mar 08:00
    assert teams["L2"]["hours_held"] == approx(24.0 + 24.0)  # T1's last day, T2's one day
    assert (teams["L1"]["handoffs_out"], teams["L2"]["handoffs_in"]) == (1, 1)
    assert result["approximate"] is True


def test_timelines_survive_a_settings_change_and_a_restart_of_the_cache(log_db):

    settings = get_settings(log_db)
    edits.save_settings(log_db, settings)
    snapshots.CACHE.clear()
    teams = by_team(handoffs.handoffs(versions.snapshot(log_db), Filters(), settings, NOW))
    assert teams["L2"]["hours_held"] == approx(48.0)


def uci_reference(path, clock: dt.datetime) -> tuple[float, int]:
    """Hours open and hand-offs between assignment groups over the UCI log, in plain pandas."""
    log = pd.read_csv(path, usecols=["number", "incident_state", "sys_updated_at",
                                     "assignment_group", "opened_at", "resolved_at"],
                      na_values=["?"], keep_default_na=False)
    log["at"] = pd.to_datetime(log["sys_updated_at"], dayfirst=True)
    log = log.sort_values(["number", "at"], kind="stable")
    group = log["assignment_group"].fillna("")
    changed = (log["number"] == log["number"].shift()) & (group != group.shift())
    return float(changed.sum()), log["number"].nunique()


def test_uci_hand_offs_follow_the_event_rows(db, uci_csv):
    importing.import_file(db, uci_csv)
    clock = metrics.data_clock(versions.snapshot(db), None)["at"]
    result = handoffs.handoffs(versions.snapshot(db), Filters(), get_settings(db), clock, raw=True)
    assert check_total(result) == approx(0.0, abs=1e-3)
    handed, incidents = uci_reference(uci_csv, clock)
    assert result["tickets"] + result["tickets_left_out"] == incidents
    counted = sum(row["handoffs_in"] for row in result["teams"])
    # Every change of group between consecutive rows is a hand-off, except those dated
    # before the incident was opened or after it was resolved (clipped to its open time).
    assert 0.9 * handed <= counted <= handed
    assert sum(t["handoffs"] for t in result["transfers"]) == counted  # each hand-off once
    assert all(t["from"] != t["to"] for t in result["transfers"])


def test_a_team_changed_by_hand_is_placed_at_the_data_clock(log_db):
    edits.edit_ticket(log_db, "INC3", {"team_raw": "Service Desk L1"}, "alice")
    points = get_ticket(log_db, "INC3")["timeline"]
    assert [(p["team_raw"], p["exact"]) for p in points] == [("App Support L2", True),
                                                              ("Service Desk L1", False)]
    teams = by_team(handoffs.handoffs(versions.snapshot(log_db), Filters(), get_settings(log_db), NOW))
    clock = metrics.data_clock(versions.snapshot(log_db), uploads.recent_uploads(log_db, 1)[0]["at"])["at"]
    assert points[1]["at"] == clock
    # The data's clock is INC3's own created time (the latest date held), so L1 held it
    # from the start: all of its 24 hours move from L2 to L1.
    assert teams["L2"]["hours_held"] == approx(24.0)
    assert teams["L1"]["hours_held"] == approx(4.5 + 24.0)
