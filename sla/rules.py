"""The rules behind the numbers, declared once: name, label, default and help.

An admin changes these on the Settings page; they are stored in the database and every
figure follows the rules in force. ``DEFAULT_SETTINGS`` (what a fresh install does) is built
from ``RULES``, the "How is this calculated?" texts are generated from the settings in force
by ``explain``, and ``docs/metrics.md`` lists the same rules (a test keeps it in step).

The limits on imported files (size, rows, columns, …) are not rules an admin changes in the
app: they come from the environment and are declared, with their help, in
``sla.config.SETTINGS``; ``LIMITS`` names them.
"""

from __future__ import annotations

import copy
import math
import numbers
import re
from dataclasses import dataclass

from sla import config
from sla.display import literal

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
    Rule("team_rules", "Team rules",
         [{"team": "L1", "words": ["l1", "level 1", "level1", "tier 1", "tier1", "1st line",
                                   "first line"], "exact": []},
          {"team": "L2", "words": ["l2", "level 2", "level2", "tier 2", "tier2", "2nd line",
                                   "second line"], "exact": []},
          {"team": "Business", "words": ["business", "functional", "data team"],
           "exact": ["bt"]}],
         "Which raw team names count as L1, L2 or Business, tried in order (the first match "
         "wins): words match whole words of the name, exact values the whole name. No match "
         "is Other, an empty name is Unassigned."),
    Rule("score", "Agent score", {part.name: part.default for part in SCORE_PARTS},
         "Score = resolution weight × resolution SLA % + response weight × response SLA % + "
         "min(tickets − minimum tickets, volume bonus cap); 0 below the minimum tickets.",
         parts=SCORE_PARTS),
    Rule("at_risk_fraction", "At risk from (share of the resolution target)", 0.8,
         "A pending ticket is at risk once its age passes this share of its priority's "
         "resolution target (0.8 means 80 %)."),
    Rule("trend_min_sample", "Smallest trend period shown in full (tickets)", 10,
         "Trend periods (weeks or months) with fewer tickets that have an SLA outcome are "
         "drawn faded: their percentage rests on too few tickets."),
)
RULES_BY_NAME = {rule.name: rule for rule in RULES}

DEFAULT_SETTINGS: dict = {rule.name: copy.deepcopy(rule.default) for rule in RULES}
SETTINGS_HELP: dict[str, str] = {rule.name: rule.help for rule in RULES}

TEAMS_RULED = ("L1", "L2", "Business")
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
    return _number(value)


def _team_rule_text(team_rule: dict) -> str:
    phrases = list(team_rule["words"]) + [f"exactly {w}" for w in team_rule["exact"]]
    return f"{team_rule['team']}: " + ", ".join(phrases)


def targets_text(targets: dict) -> str:
    """``P1 0.5 / 4, P2 1 / 8, …`` (response / resolution hours per priority)."""
    return ", ".join(f"{p} {_number(t['response'])} / {_number(t['resolution'])}"
                     for p, t in targets.items())


def _number(value) -> str:
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
            + _team_rule_problems(settings["team_rules"])
            + _score_problems(settings["score"])
            + _fraction_problems(settings["at_risk_fraction"])
            + _count_problems(rule_named("trend_min_sample"), settings["trend_min_sample"]))


def _real(value) -> float | None:
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
            hours = _real(target.get(kind))
            if hours is None:
                problems.append(f"{priority}'s {kind} target must be a number of hours.")
            elif hours < 0:
                problems.append(f"{priority}'s {kind} target cannot be negative.")
    return problems


def _status_problems(statuses: list) -> list[str]:
    if not [s for s in statuses if str(s).strip()]:
        return ["At least one resolved status is needed, or no ticket could ever be resolved."]
    return []


def _team_rule_problems(team_rules: list[dict]) -> list[str]:
    problems = []
    for number, team_rule in enumerate(team_rules, start=1):
        team = team_rule.get("team")
        if team not in TEAMS_RULED:
            problems.append(f"Team rule {number} must name L1, L2 or Business.")
        elif not (team_rule.get("words") or team_rule.get("exact")):
            problems.append(f"Team rule {number} ({team}) has no words or exact values, so "
                            "it would match nothing.")
    return problems


def _score_problems(score: dict) -> list[str]:
    problems = []
    for part in SCORE_PARTS:
        if isinstance(part.default, int):
            problems += _count_problems(part, score.get(part.name))
        else:
            value = _real(score.get(part.name))
            if value is None or value < 0:
                problems.append(f"“{part.label}” must be a number of 0 or more.")
    return problems


def _count_problems(count_rule: Rule, value) -> list[str]:
    number = _real(value)
    if number is None or number < 0 or not number.is_integer():
        return [f"“{count_rule.label}” must be a whole number of 0 or more."]
    return []


def _fraction_problems(value) -> list[str]:
    fraction = _real(value)
    if fraction is None or not 0 < fraction <= 1:
        return [f"“{rule_named('at_risk_fraction').label}” must be above 0 and at most 1 "
                "(0.8 means 80 %)."]
    return []


# ---------------------------------------------------------------- the Settings form

def target_rows(settings: dict) -> list[dict]:
    """The SLA targets as rows of a table (priority, response, resolution)."""
    return [{"priority": p, "response": t["response"], "resolution": t["resolution"]}
            for p, t in settings["sla_targets"].items()]


def targets_from_rows(rows: list[dict]) -> dict:
    """SLA targets from table rows; an empty cell becomes None (``validate`` then says so)."""
    return {row["priority"]: {"response": _real(row["response"]),
                              "resolution": _real(row["resolution"])} for row in rows}


def _is_empty(value) -> bool:
    """An empty table cell: None, NaN or blank text."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, float) and math.isnan(value))


def team_rule_rows(settings: dict) -> list[dict]:
    """The team rules as rows of a table, phrases comma separated."""
    return [{"team": r["team"], "words": ", ".join(r["words"]), "exact": ", ".join(r["exact"])}
            for r in settings["team_rules"]]


def team_rules_from_rows(rows: list[dict]) -> list[dict]:
    """Team rules from table rows; rows left wholly empty are dropped."""
    rules = []
    for row in rows:
        team = row.get("team")
        team_rule = {"team": None if _is_empty(team) else team,
                     "words": _phrases(row.get("words")),
                     "exact": _phrases(row.get("exact"))}
        if team_rule["team"] or team_rule["words"] or team_rule["exact"]:
            rules.append(team_rule)
    return rules


def _phrases(text) -> list[str]:
    """Comma-separated phrases in the form raw team names are compared in: lower case, every
    run of characters other than letters and digits one space (so ``Level-1`` is ``level 1``)."""
    if _is_empty(text):
        return []
    phrases = (" ".join(re.split(r"[^0-9a-z]+", p.lower())).strip() for p in str(text).split(","))
    return [p for p in phrases if p]


def statuses_from_text(text: str) -> list[str]:
    """One status per line, trimmed; blank lines dropped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


MOVED_FIELDS = {"status_class": "status", "team": "team", "priority": "priority",
                "response_sla": "response SLA", "resolution_sla": "resolution SLA"}


def moves_text(moved: dict) -> str:
    """What a save changed in the stored tickets (``store.save_settings``'s answer, changes
    written ``old → new``), as one Markdown sentence; values from files shown literally."""
    if not moved:
        return "No ticket changed class."
    return "What moved: " + "; ".join(
        f"{MOVED_FIELDS.get(field, field.replace('_', ' '))}: "
        + ", ".join(f"{_change_text(change)} ({count:,})" for change, count in changes.items())
        for field, changes in moved.items()) + "."


def _change_text(change: str) -> str:
    """``old → new`` with each side literal, and a missing value (None) as "empty"."""
    return " → ".join("empty" if side == "None" else literal(side)
                      for side in change.split(" → "))


# ---------------------------------------------------------------- "How is this calculated?"

def explain(topic: str, settings: dict) -> str:
    """The "How is this calculated?" text of ``topic`` (one of ``TOPICS``) as Markdown,
    written from the settings in force; values an admin typed are escaped."""
    text, section = _EXPLAINERS[topic](settings)
    return f"{text} More: page “How the numbers work”, section “{section}”."


def _sla(settings: dict) -> tuple[str, str]:
    return ("**SLA %** = 100 × met ÷ (met + breached), counting only tickets that have an SLA "
            "outcome: open tickets without one do not pull it down, and with no outcome at all "
            "the figure shows –. The outcome comes from the file's SLA column (Met, Yes, True, "
            "Within SLA… or Breached, No, False, Missed…). Where the file has no SLA column, it "
            "is worked out from the hours and the priority's target: met means hours ≤ target.",
            "SLA percentages")


def _breaches(settings: dict) -> tuple[str, str]:
    return ("**Breaches** counts tickets whose response or resolution SLA is breached; a ticket "
            "breached on both counts once.", "Breaches")


def _hours(settings: dict) -> tuple[str, str]:
    return ("**Average and median hours** count only tickets that have a value. The median of "
            "an even number of tickets is the mean of the two middle values. Durations such as "
            "129:45, 2 days 03:30 or 1h 30m are read exactly; when the file has no resolution "
            "time, it is the time from created to resolved.", "Hours")


def _status(settings: dict) -> tuple[str, str]:
    statuses = ", ".join(literal(s) for s in settings["resolved_statuses"])
    return (f"A ticket is **resolved** when its status is one of: {statuses} (any case). Every "
            "other status, and an empty one, is **pending**.", "Statuses")


def _score(settings: dict) -> tuple[str, str]:
    from sla.metrics import TOP_PERFORMERS  # metrics imports this module through fields

    score = settings["score"]
    least, cap = _number(score["min_tickets"]), _number(score["volume_cap"])
    return (f"**Score** = {_number(score['resolution_weight'])} × resolution SLA % + "
            f"{_number(score['response_weight'])} × response SLA % + min(tickets − {least}, "
            f"{cap}). An agent with fewer than {least} tickets scores 0; a missing percentage "
            f"counts as 0. **Top performers** are the {TOP_PERFORMERS} agents with the highest "
            "score above 0 (on a tie: more tickets first, then by name).",
            "Score and top performers")


def _teams(settings: dict) -> tuple[str, str]:
    rules = "; ".join(_team_rule_sentence(r) for r in settings["team_rules"])
    return ("**Teams** come from the file's team column, lower-cased, with punctuation turned "
            "into spaces. The rules are tried in order and the first match wins: "
            f"{rules or 'there are no rules'}. No match is **Other**, an empty team is "
            "**Unassigned**. Words match whole words only: l10 is not l1.", "Teams")


def _team_rule_sentence(team_rule: dict) -> str:
    """``**L2** when it contains l2, tier 2 or level 2, or is exactly x``."""
    ways = []
    if team_rule["words"]:
        ways.append("contains " + _either(team_rule["words"]))
    if team_rule["exact"]:
        ways.append("is exactly " + _either(team_rule["exact"]))
    return f"**{literal(team_rule['team'])}** when it " + (", or ".join(ways) or "never matches")


def _either(phrases: list[str]) -> str:
    """``a, b or c``, each phrase shown literally."""
    shown = [literal(p) for p in phrases]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def _at_risk(settings: dict) -> tuple[str, str]:
    fraction = settings["at_risk_fraction"]
    example = next(iter(settings["sla_targets"].items()), None)
    sample = ""
    if example:
        priority, target = example
        sample = (f" (for {priority}: after {_number(round(target['resolution'] * fraction, 2))} "
                  f"of its {_number(target['resolution'])} hours)")
    return (f"**At risk**: pending tickets older than {_number(round(fraction * 100, 2))} % of "
            f"their priority's resolution target{sample}, least time left first. Age is "
            "measured at the data's clock, shown as “as of …”: the latest date the data holds "
            "(created or resolved), or the time of the latest import when the export is live "
            "(its latest date is within a day of the import). So an old export does not make "
            "every ticket look late.", "At risk")


def _trend(settings: dict) -> tuple[str, str]:
    least = _number(settings["trend_min_sample"])
    return ("**Trend**: tickets and SLA % per ISO week (starting Monday) or per month of the "
            f"created date. A period where fewer than {least} tickets have an SLA outcome is "
            "drawn faded: its percentage rests on too few tickets to read much into.", "Trend")


def _targets_topic(settings: dict) -> tuple[str, str]:
    return ("**SLA targets** (hours, response / resolution): "
            f"{targets_text(settings['sla_targets'])}. Met means hours ≤ target.", "SLA targets")


def _fair(settings: dict) -> tuple[str, str]:
    from sla.fairness import MIN_STRATUM  # fairness needs nothing from here

    score = settings["score"]
    prior = _number(score["fair_prior_tickets"])
    return ("**Fair ranking**: each agent's SLA met % beside the **expected** one, the rate the "
            "whole desk reaches on that agent's own mix of tickets (per priority, and per "
            f"category where a priority-and-category group has at least {MIN_STRATUM} tickets). "
            "**vs expected** is the difference in points, with a 95 % range that is wide for "
            "few tickets. The **fair score** shrinks each difference toward the desk as if the "
            f"agent had {prior} more tickets at exactly the expected rate, then weighs "
            f"resolution {_number(score['resolution_weight'])} and response "
            f"{_number(score['response_weight'])}, so a handful of lucky tickets cannot top it. "
            "Over all agents, expected met tickets add up to the actual ones.", "Fair ranking")


def _handoffs(settings: dict) -> tuple[str, str]:
    return ("**Hand-offs**: a ticket is held by a team from the time its history shows that team "
            "until it shows another; the last team holds it until it is resolved, or while "
            "pending until the data's clock. The first team holds it from created on, so the "
            "hours of all teams add up to the ticket's open time. An export with one row per "
            "update (an event log) gives the history exactly; between two uploads, a change of "
            "team is placed at the later upload. A breach is **owned** by the team that held "
            "the ticket when its resolution target passed.", "Hand-offs")


def _changes(settings: dict) -> tuple[str, str]:
    return ("**What moved**: the tickets after the earlier import compared one by one with those "
            "after the later one. Each ticket whose outcome changed adds 100 × (its change in "
            "met − the earlier % × its change in having an outcome) ÷ the tickets with an "
            "outcome after, so the parts add up exactly to the change. Causes: new tickets, "
            "outcomes that changed (pending→breached, met→breached…), edits and deletes in the "
            "app, and tickets moving in or out of the filters.", "What moved")


_EXPLAINERS = {"sla": _sla, "breaches": _breaches, "hours": _hours, "status": _status,
               "score": _score, "teams": _teams, "at_risk": _at_risk, "trend": _trend,
               "targets": _targets_topic,
               "fair": _fair, "handoffs": _handoffs, "changes": _changes}
TOPICS = tuple(_EXPLAINERS)
