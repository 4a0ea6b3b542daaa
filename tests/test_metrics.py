"""Every metric of contract section 7 on the hand-checked set, computed by the real server."""

from __future__ import annotations

import datetime as dt

import pytest

from sla.analytics import metrics
from sla.core.filters import Filters
from sla.service import importing
from sla.storage import versions
from tests.handset import hand_bytes

approx = pytest.approx


@pytest.fixture
def hand_db(db):
    """The test database holding the ten hand-checked tickets."""
    importing.import_file(db, hand_bytes(), "hand.csv")
    return db


def test_summary(hand_db):
    result = metrics.summary(versions.snapshot(hand_db))
    assert result["total_tickets"] == 10
    assert result["resolved"] == 7  # T1 T2 T4 T5 T7 T8 T9
    assert result["pending"] == 3  # T3 T6 T10
    assert result["pending_by_team"] == {"L1": 1, "L2": 1, "Business": 0, "Other": 0,
                                         "Unassigned": 1}
    assert (result["response_met"], result["response_breached"]) == (7, 2)
    assert result["response_sla_pct"] == approx(100 * 7 / 9, abs=1e-3)
    assert (result["resolution_met"], result["resolution_breached"]) == (4, 3)
    assert result["resolution_sla_pct"] == approx(100 * 4 / 7, abs=1e-3)
    assert result["breaches"] == 4  # T2 (both) T4 T5 T7, each once
    assert result["avg_response_hours"] == approx(14.7 / 9)
    assert result["avg_resolution_hours"] == approx(156 / 7)
    assert result["median_response_hours"] == approx(1.0)
    assert result["median_resolution_hours"] == approx(10.0)
    assert result["top_performers"] == [{"agent": "Ann", "total_tickets": 5,
                                         "response_sla_pct": 80.0, "resolution_sla_pct": 60.0,
                                         "score": 68.0}]


def test_agents_and_score(hand_db):
    rows = {r["agent"]: r for r in metrics.agents(versions.snapshot(hand_db))}
    assert set(rows) == {"Ann", "Bob", "Cat"}  # T6 and T10 have no agent
    ann = rows["Ann"]
    assert (ann["total_tickets"], ann["response_met"], ann["response_breached"]) == (5, 4, 1)
    assert (ann["resolution_met"], ann["resolution_breached"]) == (3, 2)
    assert ann["score"] == 68.0  # 0.6 x 60 + 0.4 x 80 + min(5 - 5, 20)
    assert ann["avg_response_hours"] == approx(1.1)
    assert ann["avg_resolution_hours"] == approx(11.2)
    assert ann["median_response_hours"] == approx(0.75)
    assert ann["median_resolution_hours"] == approx(7.0)
    assert rows["Bob"]["score"] == 0.0  # under five tickets
    assert rows["Bob"]["response_sla_pct"] == 50.0 and rows["Bob"]["resolution_sla_pct"] == 100.0
    assert [r["agent"] for r in metrics.agents(versions.snapshot(hand_db))][0] == "Ann"


def test_score_rules():
    weights = {"resolution_weight": 0.6, "response_weight": 0.4, "min_tickets": 5, "volume_cap": 20}
    row = {"total_tickets": 40, "resolution_sla_pct": 90.0, "response_sla_pct": None}
    assert metrics.score(row, weights) == 74.0  # 54 + 0 + capped 20
    assert metrics.score({**row, "total_tickets": 4}, weights) == 0.0
    assert metrics.score({**row, "total_tickets": 7, "response_sla_pct": 33.333}, weights) == 69.33


def test_top_performers_order_and_limit():
    rows = [{"agent": name, "total_tickets": n, "score": s, "response_sla_pct": None,
             "resolution_sla_pct": None}
            for name, n, s in [("Zed", 9, 50.0), ("Amy", 9, 50.0), ("Bo", 12, 50.0),
                               ("Cy", 5, 80.0), ("Di", 3, 0.0), ("Ed", 6, 10.0), ("Fay", 6, 9.0)]]
    assert [r["agent"] for r in metrics.top_performers(rows)] == ["Cy", "Bo", "Amy", "Zed", "Ed"]


def test_teams(hand_db):
    rows = metrics.teams(versions.snapshot(hand_db))
    assert [r["team"] for r in rows] == ["L1", "L2", "Business", "Other", "Unassigned"]
    l1, l2, business, other, unassigned = rows
    assert (l1["total_tickets"], l1["resolved"], l1["pending"]) == (5, 4, 1)
    assert (l1["response_sla_pct"], l1["resolution_sla_pct"]) == (80.0, 75.0)
    assert l1["avg_response_hours"] == approx(0.74) and l1["avg_resolution_hours"] == approx(6.5)
    assert l1["median_response_hours"] == approx(0.5)
    assert l1["median_resolution_hours"] == approx(6.5)  # mean of 6 and 7
    assert (l2["total_tickets"], l2["response_sla_pct"], l2["resolution_sla_pct"]) == (2, 50.0, 100.0)
    assert (business["response_sla_pct"], business["resolution_sla_pct"]) == (100.0, 0.0)
    assert other["total_tickets"] == 1
    assert unassigned["response_sla_pct"] is None and unassigned["avg_response_hours"] is None


def test_team_with_no_tickets_is_left_out(hand_db):
    assert [r["team"] for r in metrics.teams(versions.snapshot(hand_db), Filters(agents=("Ann",)))] == ["L1", "Other"]


def test_trend_by_iso_week(hand_db):
    rows = metrics.trend(versions.snapshot(hand_db))
    assert [(r["week"], r["week_start"], r["tickets"]) for r in rows] == [
        ("2026-W10", dt.date(2026, 3, 2), 3), ("2026-W11", dt.date(2026, 3, 9), 4),
        ("2026-W12", dt.date(2026, 3, 16), 3)]
    assert [r["response_sla_pct"] for r in rows] == [approx(66.6667), approx(66.6667), 100.0]
    assert [r["resolution_sla_pct"] for r in rows] == [50.0, approx(33.3333), 100.0]


@pytest.mark.parametrize("filters, expected", [
    (Filters(teams=("L1",)), 5),
    (Filters(priorities=("P2",)), 3),
    (Filters(agents=("Ann",)), 5),
    (Filters(status_class="pending"), 3),
    (Filters(date_from=dt.date(2026, 3, 9), date_to=dt.date(2026, 3, 12)), 4),  # T7 at 23:30
    (Filters(teams=("L1", "L2"), status_class="resolved"), 5),
    (Filters(date_from=dt.date(2027, 1, 1)), 0),
])
def test_filters(hand_db, filters, expected):
    assert metrics.summary(versions.snapshot(hand_db), filters)["total_tickets"] == expected


def test_empty_selection_gives_nulls_not_errors(hand_db):
    result = metrics.summary(versions.snapshot(hand_db), Filters(teams=("Nobody",)))
    assert result["total_tickets"] == 0
    assert result["response_sla_pct"] is None and result["median_resolution_hours"] is None
    assert result["pending_by_team"] == {"L1": 0, "L2": 0, "Business": 0, "Other": 0,
                                         "Unassigned": 0}
    assert result["top_performers"] == []


def test_priorities(hand_db):
    rows = metrics.priorities(versions.snapshot(hand_db))
    assert [(r["priority"], r["total_tickets"]) for r in rows] == [
        ("P1", 2), ("P2", 3), ("P3", 3), ("P4", 2)]


def test_trend_by_month(hand_db):
    rows = metrics.trend(versions.snapshot(hand_db), period="month")
    assert [(r["label"], r["start"], r["tickets"]) for r in rows] == [
        ("2026-03", dt.date(2026, 3, 1), 10)]
    assert (rows[0]["response_met"], rows[0]["response_breached"]) == (7, 2)
    weeks = metrics.trend(versions.snapshot(hand_db), period="week")
    assert [r["label"] for r in weeks] == ["2026-W10", "2026-W11", "2026-W12"]
    assert [r["start"] for r in weeks] == [r["week_start"] for r in weeks]
    with pytest.raises(ValueError):
        metrics.trend(versions.snapshot(hand_db), period="day")


def test_month_view_is_suggested_for_long_ranges():
    start = dt.datetime(2024, 1, 1)
    assert metrics.suggested_period(start, start + dt.timedelta(weeks=26)) == "week"
    assert metrics.suggested_period(start, start + dt.timedelta(weeks=27)) == "month"
    assert metrics.suggested_period(None, None) == "week"


def test_data_clock_is_the_latest_date_of_an_old_export(hand_db):
    latest = dt.datetime(2026, 3, 18)  # T10 created; the hand set has no resolved dates
    assert metrics.data_clock(versions.snapshot(hand_db), None) == {"at": latest, "basis": "data"}
    assert metrics.data_clock(versions.snapshot(hand_db), dt.datetime(2026, 11, 25, 9)) == \
        {"at": latest, "basis": "data"}


def test_data_clock_of_a_live_export_is_the_import_time(hand_db):
    imported = dt.datetime(2026, 3, 18, 20)  # within a day of the latest date
    assert metrics.data_clock(versions.snapshot(hand_db), imported) == {"at": imported, "basis": "import"}
    earlier = dt.datetime(2026, 3, 17)  # dates after the import are not trusted as the clock
    assert metrics.data_clock(versions.snapshot(hand_db), earlier) == {"at": earlier, "basis": "import"}


def test_pct():
    assert metrics.pct(0, 0) is None
    assert metrics.pct(1, 2) == approx(33.3333)
