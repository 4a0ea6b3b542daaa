"""Rules as an admin types them on a command line (``sla.core.rule_text``): each kind read,
written back the same way, and refused in one sentence naming the value."""

from __future__ import annotations

import copy

import pytest

from sla.core import rules
from sla.core.rule_text import SETTABLE, RuleError, rule_lines, value_text, with_rule


def defaults() -> dict:
    """A deep copy of the default rules."""
    return copy.deepcopy(rules.DEFAULT_SETTINGS)


def test_a_target_changes_only_the_priorities_named():
    changed = with_rule(defaults(), "sla_targets", ["p3 = 4/24.5", "P1=0.25/2"])
    assert changed["sla_targets"]["P3"] == {"response": 4.0, "resolution": 24.5}
    assert changed["sla_targets"]["P1"] == {"response": 0.25, "resolution": 2.0}
    assert changed["sla_targets"]["P2"] == rules.DEFAULT_SETTINGS["sla_targets"]["P2"]


def test_a_list_rule_takes_every_value_and_the_defaults_stay_untouched():
    changed = with_rule(defaults(), "paused_statuses",
                        ["Awaiting User Info", " Awaiting Vendor "])
    assert changed["paused_statuses"] == ["Awaiting User Info", "Awaiting Vendor"]
    assert rules.DEFAULT_SETTINGS["paused_statuses"] == []
    assert with_rule(changed, "paused_statuses", [])["paused_statuses"] == []


def test_team_rules_read_words_and_exact_names():
    changed = with_rule(defaults(), "team_rules",
                        ["L1: L1, Level 1, =First Line Desk", "L2: l2"])
    assert changed["team_rules"] == [
        {"team": "L1", "words": ["l1", "level 1"], "exact": ["first line desk"]},
        {"team": "L2", "words": ["l2"], "exact": []}]


def test_teams_read_a_name_a_lead_and_an_address_and_rules_a_pattern():
    changed = with_rule(defaults(), "teams", ["Service Desk: Ann Lee <ann@example.com>",
                                              "Network"])
    assert changed["teams"] == [
        {"name": "Service Desk", "lead": "Ann Lee", "email": "ann@example.com"},
        {"name": "Network", "lead": "", "email": ""}]
    changed = with_rule(changed, "team_rules", ["Network: net, =core net, ~^NW-[0-9]{2,3}$"])
    assert changed["team_rules"] == [{"team": "Network", "words": ["net"],
                                      "exact": ["core net"], "pattern": "^NW-[0-9]{2,3}$"}]
    assert rules.validate(changed) == []
    assert value_text("teams", changed["teams"]) == \
        "Service Desk: Ann Lee <ann@example.com>, Network"
    assert value_text("team_rules", changed["team_rules"]) == \
        "Network: net, =core net, ~^NW-[0-9]{2,3}$"


def test_numbers_keep_integers_whole():
    assert with_rule(defaults(), "at_risk_hours", ["4"])["at_risk_hours"] == 4
    assert with_rule(defaults(), "at_risk_fraction", ["0.5"])["at_risk_fraction"] == 0.5
    assert with_rule(defaults(), "score.volume_cap", ["30"])["score"]["volume_cap"] == 30


def test_team_calendars_are_pairs():
    changed = with_rule(defaults(), "team_calendars", ["L1=Madrid office", " L2 = 24x7"])
    assert changed["team_calendars"] == {"L1": "Madrid office", "L2": "24x7"}


@pytest.mark.parametrize(("name", "words", "named"), [
    ("sla_target", ["P3=4/24"], "“sla_target” is not a rule"),
    ("sla_targets", ["P3=4"], "“P3=4” is not a target"),
    ("sla_targets", ["P3=a/24"], "“P3=a/24” is not a target"),
    ("at_risk_hours", ["four"], "“four” is not a number"),
    ("at_risk_hours", ["1", "2"], "“at_risk_hours” takes one value"),
    ("team_rules", ["L1"], "“L1” is not a team rule"),
    ("team_rules", ["L1: l1, ~"], "“L1: l1, ~” is not a team rule"),
    ("teams", ["<a@b.c>"], "“<a@b.c>” is not a team"),
    ("team_calendars", ["L1"], "“L1” is not a team and its calendar"),
    ("calendars", ["x"], "./sla.sh calendar add"),
])
def test_a_value_that_cannot_be_read_is_named(name, words, named):
    with pytest.raises(RuleError, match=named):
        with_rule(defaults(), name, words)


def test_every_rule_shown_can_be_set_again_from_its_words():
    settings = with_rule(defaults(), "team_rules", ["L1: l1, =first line desk"])
    settings = with_rule(settings, "paused_statuses", ["Pending Customer"])
    for name, text in rule_lines(settings):
        if name == "calendars":
            continue
        assert name in SETTABLE
        words = {"sla_targets": text.split(", "), "team_rules": text.split("; ")}.get(
            name, [w for w in text.split(", ") if w != "(none)"])
        if name in ("team_calendars",) and text == "(none)":
            words = []
        assert with_rule(settings, name, words) == settings, name


def test_values_read_as_words():
    assert value_text("paused_statuses", []) == "(none)"
    assert value_text("calendars", []) == "(none besides 24x7)"
    assert value_text("team_calendars", {"L1": "Office"}) == "L1=Office"
