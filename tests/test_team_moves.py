"""What a change of teams would move, and the names no rule maps
(``sla.analytics.team_moves``, ``rule_form.with_names_mapped``), on the ten hand-checked
tickets: raw teams L1 Desk (T1, T2, T8, T9, T10), L2 Apps (T3, T4), Business Ops (T5), an
empty one (T6) and Weird Group (T7)."""

from __future__ import annotations

from sla.analytics import metrics, team_moves
from sla.core import rule_form, rules, teams
from sla.service import edits, importing
from sla.storage import versions
from sla.storage.settings import get_settings
from tests.handset import hand_bytes

DESK = [{"name": "Service Desk", "lead": "Ann", "email": "ann@example.com"},
        {"name": "Apps", "lead": "", "email": ""}]


def test_the_preview_counts_tickets_moving_between_teams_and_saves_nothing(db):
    importing.import_file(db, hand_bytes(), "hand.csv")
    rules_after = [{"team": "L2", "words": ["l2", "weird"], "exact": []},
                   {"team": "Business", "words": ["business"], "exact": []}]
    moves = team_moves.team_moves(versions.snapshot(db), rules_after)
    assert moves == [{"from": "L1", "to": "Other", "tickets": 5},
                     {"from": "Other", "to": "L2", "tickets": 1}]
    assert get_settings(db)["team_rules"] == rules.DEFAULT_SETTINGS["team_rules"]


def test_names_no_rule_maps_are_listed_then_mapped_in_one_step(db):
    importing.import_file(db, hand_bytes(), "hand.csv")
    assert team_moves.unmapped_names(versions.snapshot(db)) == [
        {"team_raw": "Weird Group", "tickets": 1}]
    settings = get_settings(db)
    mapped = {**settings, "team_rules": rule_form.with_names_mapped(
        settings["team_rules"], "Business", ["Weird Group"])}
    assert mapped["team_rules"][2] == {"team": "Business", "exact": ["bt", "weird group"],
                                       "words": ["business", "functional", "data team"]}
    moved = edits.save_settings(db, mapped, "admin")
    assert moved["team"] == {"Other → Business": 1}
    assert team_moves.unmapped_names(versions.snapshot(db)) == []


def test_the_desks_own_teams_are_listed_in_their_order(db):
    importing.import_file(db, hand_bytes(), "hand.csv")
    settings = {**get_settings(db), "teams": DESK,
                "team_rules": [{"team": "Service Desk", "words": ["l1"], "exact": []},
                               {"team": "Apps", "words": [], "exact": [],
                                "pattern": r"^L2 "}]}
    assert rules.validate(settings) == []
    edits.save_settings(db, settings, "admin")
    names = teams.team_names(get_settings(db))
    rows = metrics.teams(versions.snapshot(db), names=names)
    assert [(r["team"], r["total_tickets"]) for r in rows] == [
        ("Service Desk", 5), ("Apps", 2), ("Other", 2), ("Unassigned", 1)]
    pending = metrics.summary(versions.snapshot(db), settings=get_settings(db))["pending_by_team"]
    assert list(pending) == list(names) and pending["Apps"] == 1
