"""Owners and resolvers (docs/metrics.md, "Per agent") and the backlog per owner
(``sla.analytics.backlog``) on eight hand-checked tickets, measured at 19 March 2026 12:00.

Targets are the defaults (P1 4 h, P3 24 h, P4 72 h, P5 120 h to resolve) on the 24x7 clock.
| SR | status | owner | resolver | credited | age at 19 Mar 12:00 | state |
| A1 | Resolved | Ann | Bob | Bob | – | – |
| A2 | Resolved | Ann | – | Ann | – | – |
| A3 | Open, P3, 18 Mar 16:00 | Ann | – | Ann | 20 h: under 1 day | at risk (20 ≥ 0.8 × 24) |
| A4 | Open, P3, 17 Mar 00:00 | Ann | Bob | Ann | 2.5 days: 1–3 | overdue (60 > 24) |
| A5 | In Progress, P4, 14 Mar 12:00 | Cat | – | Cat | 5 days: 3–7 | overdue (120 > 72) |
| A6 | Pending Customer, P5, 1 Mar 12:00 | Cat | – | Cat | 18 days: over 7 | overdue (432 > 120) |
| A7 | Open, P1, 18 Mar 14:00 | – | Dan | Dan | 22 h: under 1 day | overdue (22 > 4) |
| A8 | Open, P4, 19 Mar 06:00 | – | – | nobody | 6 h: under 1 day | – |
"""

from __future__ import annotations

import datetime as dt

import pytest

from sla.analytics import backlog, metrics
from sla.core.filters import Filters
from sla.ingest import stored_values
from sla.service import importing
from sla.storage import versions
from sla.storage.settings import get_settings

OWNERS_CSV = """\
SR Number,Created,Status,Priority,Team,Assigned To,Resolved By,Resolution Time (hrs),Resolution SLA
A1,2026-03-10 08:00,Resolved,P3,L1 Desk,Ann,Bob,5,Met
A2,2026-03-10 09:00,Resolved,P3,L1 Desk,Ann,,6,Met
A3,2026-03-18 16:00,Open,P3,L1 Desk,Ann,,,
A4,2026-03-17 00:00,Open,P3,L1 Desk,Ann,Bob,,
A5,2026-03-14 12:00,In Progress,P4,L2 Apps,Cat,,,
A6,2026-03-01 12:00,Pending Customer,P5,L2 Apps,Cat,,,
A7,2026-03-18 14:00,Open,P1,L1 Desk,,Dan,,
A8,2026-03-19 06:00,Open,P4,,,,,
"""
AT = dt.datetime(2026, 3, 19, 12)


@pytest.fixture
def owners_db(db):
    """The test database holding the eight tickets above."""
    importing.import_file(db, OWNERS_CSV.encode(), "owners.csv")
    return db


def rows_of(db, filters: Filters = Filters(), settings: dict | None = None) -> dict:
    return backlog.backlog(versions.snapshot(db), filters, settings or get_settings(db), AT)


def test_a_ticket_is_credited_to_its_resolver_once_resolved_else_its_owner(owners_db):
    frame = versions.snapshot(owners_db).frame.set_index("sr_number")
    assert frame["agent"].astype(object).where(frame["agent"].notna(), None).to_dict() == {
        "A1": "Bob", "A2": "Ann", "A3": "Ann", "A4": "Ann", "A5": "Cat", "A6": "Cat",
        "A7": "Dan", "A8": None}
    agents = {r["agent"]: (r["total_tickets"], r["resolved"], r["pending"])
              for r in metrics.agents(versions.snapshot(owners_db))}
    assert agents == {"Ann": (3, 1, 2), "Bob": (1, 1, 0), "Cat": (2, 0, 2), "Dan": (1, 0, 1)}


def test_the_agent_filter_takes_owners_of_open_and_resolvers_of_resolved_tickets(owners_db):
    frame = versions.snapshot(owners_db).frame
    assert sorted(Filters(agents=("Ann",)).select(frame)["sr_number"]) == ["A2", "A3", "A4"]
    assert sorted(Filters(agents=("Bob",)).select(frame)["sr_number"]) == ["A1"]
    assert sorted(Filters(search="bob").select(frame)["sr_number"]) == ["A1", "A4"]


def test_each_owners_open_tickets_by_age_overdue_and_at_risk(owners_db):
    result = rows_of(owners_db)
    assert result["as_of"] == AT
    assert result["agents"] == [
        {"agent": "Ann", "open": 2, "under_1_day": 1, "days_1_to_3": 1, "days_3_to_7": 0,
         "over_7_days": 0, "overdue": 1, "at_risk": 1, "paused": 0},
        {"agent": "Cat", "open": 2, "under_1_day": 0, "days_1_to_3": 0, "days_3_to_7": 1,
         "over_7_days": 1, "overdue": 2, "at_risk": 0, "paused": 0},
        {"agent": "Dan", "open": 1, "under_1_day": 1, "days_1_to_3": 0, "days_3_to_7": 0,
         "over_7_days": 0, "overdue": 1, "at_risk": 0, "paused": 0}]
    assert result["total"] == {"agent": None, "open": 6, "under_1_day": 3, "days_1_to_3": 1,
                               "days_3_to_7": 1, "over_7_days": 1, "overdue": 4, "at_risk": 1,
                               "paused": 0}


def test_a_paused_ticket_stays_in_the_backlog_and_leaves_the_lists(owners_db):
    settings = get_settings(owners_db)
    settings["paused_statuses"] = ["pending customer"]
    cat = rows_of(owners_db, settings=settings)["agents"][1]
    assert (cat["agent"], cat["open"], cat["over_7_days"], cat["overdue"], cat["paused"]) == \
        ("Cat", 2, 1, 1, 1)


def test_the_backlog_follows_the_filters(owners_db):
    result = rows_of(owners_db, Filters(teams=("L2",)))
    assert [r["agent"] for r in result["agents"]] == ["Cat"]
    assert result["total"]["open"] == 2


def test_a_file_without_an_owner_column_keeps_its_tickets_hashes():
    ticket = {"sr_number": "T1", "status": "Open", "resolved_by": "Ann"}
    assert stored_values.content_hash(ticket) == stored_values.content_hash(
        {**ticket, "owner": None})
    assert stored_values.content_hash(ticket) != stored_values.content_hash(
        {**ticket, "owner": "Ann"})
