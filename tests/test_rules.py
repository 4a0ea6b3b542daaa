"""The rules as data: defaults, validation, the "How is this calculated?" texts written from the
settings in force, and docs/metrics.md kept in step with the rules."""

from __future__ import annotations

import copy
import re

import pytest

from sla.analytics import explain, metrics, risk
from sla.core import fields, rule_form, rules, teams
from sla.core.display import literal
from tests.conftest import ROOT

DOCS = (ROOT / rules.DOCS).read_text(encoding="utf-8")
HOSTILE = "**x** [a](http://e)"


def settings(**changes) -> dict:
    """The defaults with some rules changed (a deep copy: the defaults are never touched)."""
    return {**copy.deepcopy(rules.DEFAULT_SETTINGS), **changes}


# ---------------------------------------------------------------- defaults

def test_default_settings_are_the_rules_defaults():
    assert rules.DEFAULT_SETTINGS == {rule.name: rule.default for rule in rules.RULES}
    assert fields.DEFAULT_SETTINGS is rules.DEFAULT_SETTINGS
    assert fields.SETTINGS_HELP == {rule.name: rule.help for rule in rules.RULES}


def test_the_new_rules_have_their_defaults():
    assert fields.DEFAULT_SETTINGS["at_risk_fraction"] == 0.8
    assert fields.DEFAULT_SETTINGS["trend_min_sample"] == 10
    assert fields.DEFAULT_SETTINGS["score"] == {"resolution_weight": 0.6, "response_weight": 0.4,
                                                "min_tickets": 5, "volume_cap": 20,
                                                "fair_prior_tickets": 20}
    assert list(fields.DEFAULT_SETTINGS["sla_targets"]) == list(fields.PRIORITIES)


def test_every_rule_has_a_label_and_a_help_sentence():
    for rule in (*rules.RULES, *rules.SCORE_PARTS):
        assert rule.label and rule.help.endswith((".", ")")), rule.name


def test_every_default_reads_as_words_not_python():
    for rule in rules.RULES:
        assert not set("{}[]'") & set(rules.default_text(rule)), rule.name
    assert rules.default_text(rules.rule_named("score")) == (
        "resolution weight 0.6, response weight 0.4, minimum tickets 5, volume bonus cap 20, "
        "fair ranking: prior tickets 20")


def test_the_limits_are_the_config_settings_not_copies():
    assert rules.LIMITS and all(limit in rules.config.SETTINGS for limit in rules.LIMITS)
    names = {limit.name for limit in rules.LIMITS}
    assert {"SLA_MAX_UPLOAD_MB", "SLA_MAX_ROWS", "SLA_LOCK_WAIT_S"} <= names


# ---------------------------------------------------------------- validation

def test_the_defaults_are_valid():
    assert rules.validate(rules.DEFAULT_SETTINGS) == []


@pytest.mark.parametrize("changes, problem", [
    ({"at_risk_fraction": 0}, "must be above 0 and at most 1"),
    ({"at_risk_fraction": 1.2}, "must be above 0 and at most 1"),
    ({"at_risk_fraction": "0.8"}, "must be above 0 and at most 1"),
    ({"resolved_statuses": []}, "At least one resolved status is needed"),
    ({"resolved_statuses": ["  "]}, "At least one resolved status is needed"),
    ({"trend_min_sample": -1}, "must be a whole number of 0 or more"),
    ({"trend_min_sample": 2.5}, "must be a whole number of 0 or more"),
    ({"team_rules": [{"team": "L3", "words": ["x"], "exact": []}]},
     "names “L3”, which is not one of the desk's teams (L1, L2, Business)"),
    ({"team_rules": [{"team": "L1", "words": [], "exact": []}]}, "would match nothing"),
    ({"team_rules": [{"team": "L1", "words": [], "exact": [], "pattern": "(oops"}]},
     "is not a regular expression"),
    ({"team_rules": [{"team": "L1", "words": [], "exact": [], "pattern": ".*"}]},
     "matches every name"),
    ({"teams": [{"name": "L1"}, {"name": "l1"}, {"name": "L2"}, {"name": "Business"}]},
     "Two teams are named “l1”"),
    ({"teams": [{"name": "L1"}, {"name": "L2"}, {"name": "Business"}, {"name": "other"}]},
     "“other” is a team every desk has"),
    ({"teams": [{"name": "L1", "email": "not-an-address"}, {"name": "L2"},
                {"name": "Business"}]}, "“not-an-address” is not an e-mail address"),
    ({"teams": [{"name": " "}, {"name": "L1"}, {"name": "L2"}, {"name": "Business"}]},
     "Team 1 needs a name"),
    ({"teams": [{"name": "x" * 61}, {"name": "L1"}, {"name": "L2"}, {"name": "Business"}]},
     "must have at most 60 characters"),
    ({"team_calendars": {"Network": "24x7"}}, "“Network” is not a team"),
])
def test_validate_names_the_one_problem(changes, problem):
    (found,) = rules.validate(settings(**changes))
    assert problem in found and "\n" not in found


def test_validate_catches_bad_targets_and_weights():
    bad = settings()
    bad["sla_targets"]["P2"]["resolution"] = -4
    bad["sla_targets"]["P3"]["response"] = None
    del bad["sla_targets"]["P5"]
    bad["score"]["response_weight"] = -0.4
    bad["score"]["volume_cap"] = float("nan")
    assert rules.validate(bad) == [
        "P5 has no SLA targets.",
        "P2's resolution target cannot be negative.",
        "P3's response target must be a number of hours.",
        "“Response weight” must be a number of 0 or more.",
        "“Volume bonus cap” must be a whole number of 0 or more."]


def test_validate_names_a_missing_rule():
    incomplete = settings()
    del incomplete["at_risk_fraction"]
    assert rules.validate(incomplete) == [
        f"“{rules.rule_named('at_risk_fraction').label}” is missing."]


# ---------------------------------------------------------------- the Settings form's values

def test_team_phrases_are_read_the_way_team_names_are_compared():
    rows = [{"team": "L2", "words": "Level-2, TIER  2,, ", "exact": "B.T."},
            {"team": None, "words": float("nan"), "exact": ""}]  # a row added and left empty
    assert rule_form.team_rules_from_rows(rows) == [
        {"team": "L2", "words": ["level 2", "tier 2"], "exact": ["b t"]}]


def test_form_rows_round_trip_to_the_same_settings():
    current = rules.DEFAULT_SETTINGS
    assert rule_form.targets_from_rows(rule_form.target_rows(current)) == current["sla_targets"]
    assert rule_form.team_rules_from_rows(rule_form.team_rule_rows(current)) == current["team_rules"]
    assert rule_form.statuses_from_text("\n Done \n\nClosed") == ["Done", "Closed"]


def test_an_empty_target_cell_is_refused_not_saved_as_zero():
    rows = rule_form.target_rows(rules.DEFAULT_SETTINGS)
    rows[0]["response"] = float("nan")
    assert rules.validate(settings(sla_targets=rule_form.targets_from_rows(rows))) == [
        "P1's response target must be a number of hours."]


def test_what_moved_reads_as_one_sentence():
    assert rule_form.moves_text({}) == "No ticket changed class."
    assert rule_form.moves_text({"status_class": {"pending → resolved": 1200},
                             "priority": {"None → P3": 2, "[x](y) → P1": 1}}) == (
        "What moved: status: pending → resolved (1,200); "
        "priority: empty → P3 (2), \\[x\\]\\(y\\) → P1 (1).")



def test_a_target_that_moved_nothing_says_the_files_decide():
    before = settings()
    stricter = settings(sla_targets={**before["sla_targets"],
                                     "P3": {"response": 1.0, "resolution": 8.0}})
    assert rule_form.file_decides_note(before, stricter, {}) == rule_form.FILE_DECIDES
    assert "computed_outcomes" in rule_form.FILE_DECIDES
    assert rule_form.file_decides_note(
        before, stricter, {"resolution_sla": {"met → breached": 3}}) == ""
    assert rule_form.file_decides_note(before, settings(at_risk_hours=4), {}) == ""
    every_export = settings(computed_outcomes=list(rules.OUTCOME_SOURCES),
                            paused_statuses=["Pending Customer"])
    assert rule_form.file_decides_note(before, every_export, {}) == ""

# ---------------------------------------------------------------- explain

def test_every_topic_has_a_text_that_says_where_to_read_more():
    for topic in explain.TOPICS:
        text = explain.explain(topic, rules.DEFAULT_SETTINGS)
        section = re.search(r"More: page “How the numbers work”, section “(.+)”\.$", text).group(1)
        assert re.search(rf"^#+ {re.escape(section)}$", DOCS, re.MULTILINE), (topic, section)


def test_the_topics_are_the_ones_the_pages_ask_for():
    assert set(explain.TOPICS) == {"sla", "breaches", "hours", "status", "score", "teams",
                                 "at_risk", "trend", "targets", "fair", "handoffs", "changes",
                                 "clock", "agents", "backlog", "people"}
    with pytest.raises(KeyError):
        explain.explain("nonsense", rules.DEFAULT_SETTINGS)


def test_the_score_text_follows_the_weights_in_force():
    default = explain.explain("score", rules.DEFAULT_SETTINGS)
    assert "0.6 × resolution SLA % + 0.4 × response SLA % + min(tickets − 5, 20)" in default
    changed = explain.explain("score", settings(score={"resolution_weight": 0.7,
                                                     "response_weight": 0.3,
                                                     "min_tickets": 10, "volume_cap": 15}))
    assert "0.7 × resolution SLA % + 0.3 × response SLA % + min(tickets − 10, 15)" in changed
    assert "fewer than 10 tickets" in changed and "0.6" not in changed
    assert f"the {metrics.TOP_PERFORMERS} agents" in changed


def test_the_fair_ranking_text_follows_the_score_in_force():
    default = explain.explain("fair", rules.DEFAULT_SETTINGS)
    assert "20 more tickets" in default and "resolution 0.6 and response 0.4" in default
    changed = explain.explain("fair", settings(score={**rules.DEFAULT_SETTINGS["score"],
                                                    "fair_prior_tickets": 50}))
    assert "50 more tickets" in changed


def test_the_status_text_lists_the_statuses_in_force():
    text = explain.explain("status", settings(resolved_statuses=["Fixed", "Won't do"]))
    assert "one of: Fixed, Won\\'t do (any case)" in text
    assert "Closed" not in text


def test_values_an_admin_typed_are_shown_literally():
    status = explain.explain("status", settings(resolved_statuses=[HOSTILE]))
    assert literal(HOSTILE) in status and HOSTILE not in status
    assert "\\*\\*x\\*\\* \\[a\\]\\(http\u2060\\:" in status  # no autolink either
    teams = explain.explain("teams", settings(team_rules=[
        {"team": "L2", "words": [HOSTILE], "exact": ["<b>bt</b>"]}]))
    assert literal(HOSTILE) in teams and literal("<b>bt</b>") in teams
    assert HOSTILE not in teams and "<b>" not in teams


def test_the_teams_text_follows_the_rules_in_force():
    text = explain.explain("teams", settings(team_rules=[
        {"team": "L2", "words": ["service desk", "sd"], "exact": ["ops"]}]))
    assert "**L2** when it contains service desk or sd, or is exactly ops" in text
    assert "L1" not in text.split("first match wins")[1].split("No match")[0]


def test_the_at_risk_text_follows_the_rules_and_names_the_clock():
    default = explain.explain("at_risk", rules.DEFAULT_SETTINGS)
    assert "passed 80 % of it, least" in default.replace(". Each list shows the", ", least")
    assert "working hours left" not in default
    changed = explain.explain("at_risk", settings(at_risk_fraction=0.5, at_risk_hours=4))
    assert "passed 50 % of it, or has at most 4 working hours left" in changed
    assert "80 %" not in changed
    assert "paused status now is in neither" in changed
    assert "“data as of …”" in changed and "live export imported within a day" in changed


def test_the_clock_text_names_calendars_pauses_and_which_source_decides():
    default = explain.explain("clock", rules.DEFAULT_SETTINGS)
    assert "every team uses the calendar 24x7" in default
    assert "No status pauses the clock." in default
    assert "decide for every export" in default
    madrid = {"name": "Madrid *office*", "timezone": "Europe/Madrid",
              "hours": ["Mon-Fri 08:00-18:00"], "holidays": ["2026-12-25"]}
    text = explain.explain("clock", settings(
        calendars=[madrid], team_calendars={"L2": "Madrid *office*"},
        paused_statuses=["Awaiting <b>User</b>"], computed_outcomes=["servicenow"]))
    assert "L2 uses Madrid \\*office\\*" in text and "1 holiday." in text
    assert literal("Awaiting <b>User</b>") in text
    assert "servicenow" in text and "setting the file's own durations and SLA flags aside" in text
    assert "<b>" not in text


def test_the_trend_and_targets_texts_follow_the_settings():
    assert "fewer than 25 tickets" in explain.explain("trend", settings(trend_min_sample=25))
    targets = settings()
    targets["sla_targets"]["P3"] = {"response": 2.0, "resolution": 12.5}
    text = explain.explain("targets", targets)
    assert "P3 2 / 12.5" in text and "P1 0.5 / 4" in text


# ---------------------------------------------------------------- docs/metrics.md

def docs_rules_table() -> dict[str, tuple[str, str]]:
    """The rows of the rules table in docs/metrics.md: name -> (default, meaning)."""
    section = DOCS.split("\n## Rules\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \| (.*?) \| (.*?) \|$", section, re.MULTILINE)
    return {name: (default, meaning) for name, default, meaning in rows}


def test_the_docs_rules_table_is_the_rules():
    table = docs_rules_table()
    assert table == {name: (default, meaning) for name, default, meaning in rules.rule_table()}
    for rule in rules.RULES:
        assert any(name == rule.name or name.startswith(rule.name + ".") for name in table)


def test_the_docs_name_every_field_header_and_limit():
    for field, headers in fields.HEADER_SYNONYMS.items():
        (row,) = [line for line in DOCS.splitlines() if f" | `{field}` | " in line]
        assert row.endswith(", ".join(headers) + " |") or ", ".join(headers) + ";" in row, field
    for limit in rules.LIMITS:
        assert f"`{limit.name}`" in DOCS


def test_the_docs_state_the_fixed_numbers_the_code_uses():
    assert f"the {metrics.TOP_PERFORMERS} agents with the highest score" in DOCS
    assert f"at most {risk.LIST_LIMIT} tickets" in DOCS
    assert "met means hours ≤ target" in DOCS


def test_the_docs_stay_inside_the_repository():
    assert "../shared" not in DOCS and "shared/spec" not in DOCS



def test_the_desks_own_teams_take_rules_by_words_exact_names_and_patterns():
    """Contract, Teams: any team the desk names; a pattern searches the name as written."""
    desk = settings(teams=[{"name": "Service Desk", "lead": "Ann", "email": "ann@example.com"},
                           {"name": "Network", "lead": "", "email": ""}],
                    team_rules=[{"team": "Service Desk", "words": ["sd"], "exact": []},
                                {"team": "Network", "words": [], "exact": ["core net"],
                                 "pattern": r"^NW-\d+$"}])
    assert rules.validate(desk) == []
    assert teams.team_names(desk) == ("Service Desk", "Network", "Other", "Unassigned")
    assert [teams.team_of(name, desk["team_rules"]) for name in
            ("SD Madrid", "Core-Net", "nw-17", "NW-17b", "", "L1")] == \
        ["Service Desk", "Network", "Network", "Other", "Unassigned", "Other"]
