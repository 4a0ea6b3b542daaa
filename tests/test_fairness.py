"""The fair agent ranking (``sla.analytics.fairness``) on hand-worked mixes, and its identity on the
generated demo data: summed over agents, expected met tickets equal actual met tickets."""

from __future__ import annotations

import math

import pytest

from sla.analytics import fairness, metrics
from sla.analytics.readmodel import Snapshot, frame_from_tickets
from sla.core import fields
from sla.service import demo, importing
from sla.storage import versions

approx = pytest.approx


def expected_met_total(named, kind: str) -> tuple[float, float]:
    """(expected met, actual met) over every agent: equal by construction."""
    table = fairness.expected_by_agent(named, kind)
    return float(table["expected"].sum()), float(table["met"].sum())


def snapshot_of(rows: list[tuple[str, str, str, str | None]]) -> Snapshot:
    """A read model of (agent, priority, resolution outcome, category) tickets."""
    tickets = [{"sr_number": f"T{i}", "resolved_by": agent, "priority": priority,
                "resolution_sla": outcome, "category": category, "status_class": "resolved",
                "team": "L1"}
               for i, (agent, priority, outcome, category) in enumerate(rows)]
    return Snapshot.of(1, frame_from_tickets(tickets))


def repeat(agent, priority, met: int, breached: int, category=None) -> list[tuple]:
    return ([(agent, priority, "met", category)] * met
            + [(agent, priority, "breached", category)] * breached)


def test_expected_rate_follows_each_agents_mix():
    # P1: Ann 2 met 2 breached, Bob 1 met -> desk 3/5 = 0.6.
    # P4: Bob 3 met 1 breached, Ann 1 met -> desk 4/5 = 0.8.
    # Ann: 3/5 = 60 % actual, (4 x 0.6 + 0.8) / 5 = 64 % expected -> -4 points.
    # Bob: 4/5 = 80 % actual, (0.6 + 4 x 0.8) / 5 = 76 % expected -> +4 points.
    snapshot = snapshot_of(repeat("Ann", "P1", 2, 2) + repeat("Bob", "P1", 1, 0)
                           + repeat("Bob", "P4", 3, 1) + repeat("Ann", "P4", 1, 0))
    rows = {r["agent"]: r for r in metrics.agents(snapshot)}
    ann, bob = rows["Ann"], rows["Bob"]
    assert ann["expected_resolution_sla_pct"] == approx(64.0)
    assert ann["resolution_vs_expected"] == approx(-4.0)
    assert bob["expected_resolution_sla_pct"] == approx(76.0)
    assert bob["resolution_vs_expected"] == approx(4.0)
    half = 100 * fairness.Z95 * math.sqrt(4 * 0.6 * 0.4 + 0.8 * 0.2) / 5  # Ann's variance
    assert ann["resolution_vs_expected_low"] == approx(-4.0 - half, abs=1e-3)
    assert ann["resolution_vs_expected_high"] == approx(-4.0 + half, abs=1e-3)
    # Shrunk by 5 / (5 + 20), weighted 0.6 (no response outcomes: that part counts 0).
    assert ann["fair_score"] == approx(0.6 * -4.0 * 5 / 25)
    assert bob["fair_score"] == approx(0.6 * 4.0 * 5 / 25)
    assert (bob["fair_rank"], ann["fair_rank"]) == (1, 2)
    assert ann["expected_response_sla_pct"] is None


def test_a_few_lucky_tickets_do_not_top_the_fair_ranking():
    # Sam: 6 of 6 met; Lee: 570 of 600; Max: 340 of 400, all P3. Desk 916 / 1006.
    snapshot = snapshot_of(repeat("Sam", "P3", 6, 0) + repeat("Lee", "P3", 570, 30)
                           + repeat("Max", "P3", 340, 60))
    rows = metrics.agents(snapshot)
    by_raw = max(rows, key=lambda r: r["resolution_sla_pct"])
    by_fair = min(rows, key=lambda r: r["fair_rank"])
    assert by_raw["agent"] == "Sam"
    assert by_fair["agent"] == "Lee"
    desk = 916 / 1006
    sam = next(r for r in rows if r["agent"] == "Sam")
    assert sam["fair_score"] == approx(0.6 * 100 * (1 - desk) * 6 / 26, abs=1e-3)
    assert sam["resolution_vs_expected_low"] < 0 < sam["resolution_vs_expected_high"]


def test_categories_split_the_desk_only_where_a_cell_is_large_enough():
    # P2 "Network": 40 tickets, 20 met (Ann). P2 "Email": 40 tickets, 40 met (Bob).
    # P2 "Printer": 5 tickets, 0 met (Bob) - too small alone, pooled with nothing else.
    snapshot = snapshot_of(repeat("Ann", "P2", 20, 20, "Network")
                           + repeat("Bob", "P2", 40, 0, "Email")
                           + repeat("Bob", "P2", 0, 5, "Printer"))
    rows = {r["agent"]: r for r in metrics.agents(snapshot)}
    assert rows["Ann"]["expected_resolution_sla_pct"] == approx(50.0)  # Network's own rate
    assert rows["Ann"]["resolution_vs_expected"] == approx(0.0)
    # Bob: 40 Email at 100 % and 5 pooled Printer at 0 %: his actual rate exactly.
    assert rows["Bob"]["expected_resolution_sla_pct"] == approx(100 * 40 / 45)


@pytest.mark.parametrize("kind", fairness.KINDS)
def test_expected_met_add_up_to_actual_met(db, kind):
    importing.import_file(db, demo.generate_export(1500, seed=3).to_csv(index=False).encode(), "demo.csv")
    snapshot = versions.snapshot(db)
    named = snapshot.frame[snapshot.frame["resolved_by"].notna()]
    expected, actual = expected_met_total(named, kind)
    assert expected == approx(actual)
    rows = metrics.agents(snapshot, settings=fields.DEFAULT_SETTINGS)
    assert sorted(r["fair_rank"] for r in rows) == list(range(1, len(rows) + 1))
    assert all(isinstance(r["fair_score"], float) for r in rows if r["fair_score"] is not None)
