"""The rules behind the numbers, declared once: name, label, default and help.

An admin changes these on the Settings page; they are stored in the database and every
figure follows the rules in force. ``DEFAULT_SETTINGS`` (what a fresh install does) is built
from ``RULES``; ``validate`` checks a set of settings before it is stored. The Settings
form's conversions live in ``sla.core.rule_form``, the "How is this calculated?" texts made
from the settings in force in ``sla.analytics.explain``, and ``docs/metrics.md`` lists the
same rules (a test keeps it in step).

The limits on imported files (size, rows, columns, …) are not rules an admin changes in the
app: they come from the environment and are declared, with their help, in
``sla.core.config.SETTINGS``; ``LIMITS`` names them.
"""

from __future__ import annotations

import copy
import math
import numbers
from dataclasses import dataclass

from sla.core import config
from sla.core.calendars import ALWAYS, calendar_problems
from sla.core.teams import (
    FALLBACK_TEAMS,
    desk_teams,
    team_names,
    team_rule_problems,
    teams_problems,
)

DOCS = "docs/metrics.md"


@dataclass(frozen=True)
class Rule:
    """One rule: its settings key, the label shown to admins, its default and what it means.

    A rule made of several numbers (the score) lists them as ``parts``; its default is then
    the parts' defaults by name.
    """

    name: str
    label: str
    default: object
    help: str
    parts: tuple[Rule, ...] = ()


def _targets(*hours: tuple[float, float]) -> dict:
    return {f"P{n}": {"response": response, "resolution": resolution}
            for n, (response, resolution) in enumerate(hours, start=1)}


SCORE_PARTS = (
    Rule("resolution_weight", "Resolution weight", 0.6,
         "How much an agent's resolution SLA % counts in the score."),
    Rule("response_weight", "Response weight", 0.4,
         "How much an agent's response SLA % counts in the score."),
    Rule("min_tickets", "Minimum tickets", 5,
         "Agents with fewer tickets score 0; above it, each ticket adds a point of volume bonus."),
    Rule("volume_cap", "Volume bonus cap", 20,
         "The most points the volume bonus can add."),
    Rule("fair_prior_tickets", "Fair ranking: prior tickets", 20,
         "The fair ranking judges each agent as if they had this many more tickets at exactly "
         "the rate the desk reaches on their mix, so small volumes cannot top it by luck."),
)

RULES = (
    Rule("sla_targets", "SLA targets (hours)",
         _targets((0.5, 4.0), (1.0, 8.0), (4.0, 24.0), (8.0, 72.0), (24.0, 120.0)),
         "Response and resolution targets in hours for each priority. Where the file has no "
         "SLA column, a ticket met its SLA when its hours are at most the target."),
    Rule("resolved_statuses", "Resolved statuses",
         ["Resolved", "Closed", "Completed", "Done", "Cancelled", "Canceled"],
         "Statuses (any case) that make a ticket resolved; every other status, and an empty "
         "one, is pending."),
    Rule("teams", "Teams",
         [{"name": name, "lead": "", "email": ""} for name in ("L1", "L2", "Business")],
         "The desk's teams in the order pages list them, each with an optional lead and "
         "e-mail; Other (no rule matched) and Unassigned (no team in the file) always follow "
         "them."),
    Rule("team_rules", "Team rules",
         [{"team": "L1", "words": ["l1", "level 1", "level1", "tier 1", "tier1", "1st line",
                                   "first line"], "exact": []},
          {"team": "L2", "words": ["l2", "level 2", "level2", "tier 2", "tier2", "2nd line",
                                   "second line"], "exact": []},
          {"team": "Business", "words": ["business", "functional", "data team"],
           "exact": ["bt"]}],
         "Which raw team names count as which of the desk's teams, tried in order (the first "
         "match wins): words match whole words of the name, exact values the whole name, a "
         "pattern (a regular expression) any part of the name as written, ignoring case. No "
         "match is Other, an empty name is Unassigned."),
    Rule("score", "Agent score", {part.name: part.default for part in SCORE_PARTS},
         "Score = resolution weight × resolution SLA % + response weight × response SLA % + "
         "min(tickets − minimum tickets, volume bonus cap); 0 below the minimum tickets.",
         parts=SCORE_PARTS),
    Rule("at_risk_fraction", "At risk from (share of the resolution target)", 0.8,
         "An open ticket is at risk once its working time used passes this share of its "
         "priority's resolution target (0.8 means 80 %)."),
    Rule("at_risk_hours", "At risk within (working hours left)", 0.0,
         "An open ticket is also at risk once it has at most this many working hours left "
         "before its resolution target; 0 leaves only the share above."),
    Rule("trend_min_sample", "Smallest trend period shown in full (tickets)", 10,
         "Trend periods (weeks or months) with fewer tickets that have an SLA outcome are "
         "drawn faded: their percentage rests on too few tickets."),
    Rule("calendars", "Business-hours calendars", [],
         "The desk's calendars: a name, a time zone, weekly working windows and holidays. "
         "The built-in 24x7 calendar (every hour counts) is always there."),
    Rule("calendar", "Calendar of every team", ALWAYS,
         "The calendar whose working hours the SLA clock counts, for every team not named in "
         "the calendar per team."),
    Rule("team_calendars", "Calendar per team", {},
         "Teams that use another calendar than the one of every team."),
    Rule("paused_statuses", "Paused statuses", [],
         "Statuses (any case) during which the SLA clock stops, such as Awaiting User Info or "
         "Pending Customer."),
    Rule("computed_outcomes", "Outcomes computed from our targets and calendars", [],
         "Exports whose own durations and SLA flags are set aside: their resolution hours are "
         "measured from the dates on the team's calendar, less paused time, and judged "
         "against the targets. Every other export's durations and SLA flags decide."),
)
RULES_BY_NAME = {rule.name: rule for rule in RULES}

DEFAULT_SETTINGS: dict = {rule.name: copy.deepcopy(rule.default) for rule in RULES}
SETTINGS_HELP: dict[str, str] = {rule.name: rule.help for rule in RULES}

TEAMS = (*(team["name"] for team in RULES_BY_NAME["teams"].default), *FALLBACK_TEAMS)
# The exports whose outcomes can be computed instead of read (rule ``computed_outcomes``): the
# native exports' preset keys (``sla.ingest.presets``; a test keeps them in step) and
# "other", every file no preset reads.
OUTCOME_SOURCES = ("jira", "zendesk", "zendesk-explore", "servicenow-rest", "servicenow",
                   "other")
LIMITS = tuple(s for s in config.SETTINGS
               if s.name.startswith("SLA_MAX_") or s.name == "SLA_LOCK_WAIT_S")


def rule_named(name: str) -> Rule:
    return RULES_BY_NAME[name]


# ---------------------------------------------------------------- defaults as text

def default_text(declared: Rule) -> str:
    """A rule's default in words, as the rules table of docs/metrics.md shows it."""
    if declared.parts:
        return ", ".join(f"{part.label.lower()} {default_text(part)}" for part in declared.parts)
    return _value_text(declared.name, declared.default)


def _value_text(name: str, value) -> str:
    if name == "sla_targets":
        return targets_text(value)
    if name == "resolved_statuses":
        return ", ".join(value)
    if name == "team_rules":
        return "; ".join(_team_rule_text(r) for r in value)
    if name == "teams":
        return ", ".join(t["name"] for t in value) + ", then " + ", ".join(FALLBACK_TEAMS)
    if name == "calendars":
        return "; ".join(c["name"] for c in value) or "none besides the built-in 24x7"
    if name == "team_calendars":
        return ", ".join(f"{team}: {cal}" for team, cal in value.items()) or "none"
    if name in ("paused_statuses", "computed_outcomes"):
        return ", ".join(str(v) for v in value) or "none"
    return number_text(value)


def _team_rule_text(team_rule: dict) -> str:
    phrases = list(team_rule["words"]) + [f"exactly {w}" for w in team_rule["exact"]] \
        + ([f"pattern {team_rule['pattern']}"] if team_rule.get("pattern") else [])
    return f"{team_rule['team']}: " + ", ".join(phrases)


def targets_text(targets: dict) -> str:
    """``P1 0.5 / 4, P2 1 / 8, …`` (response / resolution hours per priority)."""
    return ", ".join(f"{p} {number_text(t['response'])} / {number_text(t['resolution'])}"
                     for p, t in targets.items())


def number_text(value) -> str:
    return f"{value:.10g}" if isinstance(value, (int, float)) else str(value)


def rule_table() -> list[tuple[str, str, str]]:
    """(name, default in words, meaning) for every rule; a rule with parts as one row per
    part, named ``rule.part``."""
    rows = []
    for each in RULES:
        if each.parts:
            rows += [(f"{each.name}.{p.name}", default_text(p), p.help) for p in each.parts]
        else:
            rows.append((each.name, default_text(each), each.help))
    return rows


# ---------------------------------------------------------------- checking

def validate(settings: dict) -> list[str]:
    """What is wrong with ``settings``, one sentence per problem; empty when they can be saved."""
    problems = [f"“{each.label}” is missing." for each in RULES if each.name not in settings]
    if problems:
        return problems
    return (_target_problems(settings["sla_targets"])
            + _status_problems(settings["resolved_statuses"])
            + teams_problems(settings["teams"])
            + team_rule_problems(settings["team_rules"], desk_teams(settings))
            + _score_problems(settings["score"])
            + _fraction_problems(settings["at_risk_fraction"])
            + _hours_problems(rule_named("at_risk_hours"), settings["at_risk_hours"])
            + _count_problems(rule_named("trend_min_sample"), settings["trend_min_sample"])
            + _calendar_rule_problems(settings)
            + _text_list_problems(rule_named("paused_statuses"), settings["paused_statuses"])
            + _source_problems(settings["computed_outcomes"]))


def real_number(value) -> float | None:
    """``value`` as a finite number, or None (text, booleans, empty cells, NaN)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    return float(value) if math.isfinite(value) else None


def _target_problems(targets: dict) -> list[str]:
    problems = []
    for priority in DEFAULT_SETTINGS["sla_targets"]:
        if priority not in targets:
            problems.append(f"{priority} has no SLA targets.")
    for priority, target in targets.items():
        for kind in ("response", "resolution"):
            hours = real_number(target.get(kind))
            if hours is None:
                problems.append(f"{priority}'s {kind} target must be a number of hours.")
            elif hours < 0:
                problems.append(f"{priority}'s {kind} target cannot be negative.")
    return problems


def _status_problems(statuses: list) -> list[str]:
    if not [s for s in statuses if str(s).strip()]:
        return ["At least one resolved status is needed, or no ticket could ever be resolved."]
    return []


def _score_problems(score: dict) -> list[str]:
    problems = []
    for part in SCORE_PARTS:
        if isinstance(part.default, int):
            problems += _count_problems(part, score.get(part.name))
        else:
            value = real_number(score.get(part.name))
            if value is None or value < 0:
                problems.append(f"“{part.label}” must be a number of 0 or more.")
    return problems


def _count_problems(count_rule: Rule, value) -> list[str]:
    number = real_number(value)
    if number is None or number < 0 or not number.is_integer():
        return [f"“{count_rule.label}” must be a whole number of 0 or more."]
    return []


def _fraction_problems(value) -> list[str]:
    fraction = real_number(value)
    if fraction is None or not 0 < fraction <= 1:
        return [f"“{rule_named('at_risk_fraction').label}” must be above 0 and at most 1 "
                "(0.8 means 80 %)."]
    return []


def _hours_problems(hours_rule: Rule, value) -> list[str]:
    number = real_number(value)
    if number is None or number < 0:
        return [f"“{hours_rule.label}” must be a number of hours, 0 or more."]
    return []


def _calendar_rule_problems(settings: dict) -> list[str]:
    calendars = settings["calendars"]
    if not isinstance(calendars, list) or not all(isinstance(c, dict) for c in calendars):
        return ["The calendars must be a list of calendars."]
    problems, names = [], [str(c.get("name", "")).strip() for c in calendars]
    for calendar in calendars:
        problems += calendar_problems(calendar)
    folded = [name.casefold() for name in names]
    problems += [f"Two calendars are named “{name}”." for name in sorted(set(names))
                 if folded.count(name.casefold()) > 1][:1]
    known = {ALWAYS, *names}
    if settings["calendar"] not in known:
        problems.append(f"“{settings['calendar']}” is not a calendar (known: "
                        f"{', '.join(sorted(known))}).")
    team_calendars = settings["team_calendars"]
    if not isinstance(team_calendars, dict):
        return [*problems, "The calendar per team must map teams to calendars."]
    for team, name in team_calendars.items():
        if team not in team_names(settings):
            problems.append(f"“{team}” is not a team (teams: {', '.join(team_names(settings))}).")
        if name not in known:
            problems.append(f"“{name}” is not a calendar (known: {', '.join(sorted(known))}).")
    return problems


def _text_list_problems(list_rule: Rule, values) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
        return [f"“{list_rule.label}” must be a list of words, none of them empty."]
    return []


def _source_problems(sources) -> list[str]:
    if not isinstance(sources, list):
        return [f"“{rule_named('computed_outcomes').label}” must be a list of exports."]
    return [f"“{source}” is not an export the app knows (known: {', '.join(OUTCOME_SOURCES)})."
            for source in sources if source not in OUTCOME_SOURCES]
