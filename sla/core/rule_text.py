"""The rules as an admin types them on a command line (``./sla.sh settings set RULE VALUE…``)
and reads them back (``settings show``): one reader and one writer per kind of rule.

| rule | values |
| --- | --- |
| ``sla_targets`` | ``P3=4/24`` per priority changed (response / resolution hours) |
| ``resolved_statuses``, ``paused_statuses`` | the statuses, each one value |
| ``teams`` | ``Name``, ``Name: Lead`` or ``Name: Lead <e-mail>`` per team, in order |
| ``team_rules`` | ``L1: l1, level 1, =first line desk, ~^svc-`` per rule (``=`` marks an exact name, ``~`` starts a pattern that runs to the end) |
| ``score.<part>``, ``at_risk_fraction``, ``at_risk_hours``, ``trend_min_sample`` | a number |
| ``calendar`` | a calendar's name |
| ``team_calendars`` | ``L1=Madrid office`` per team (none: every team uses ``calendar``) |
| ``computed_outcomes`` | export names (``servicenow``, ``jira``, …, ``other``) |

``calendars`` are added and removed with ``./sla.sh calendar``, not here.
"""

from __future__ import annotations

import copy
import re

from sla.core.rules import RULES, SCORE_PARTS, number_text


class RuleError(ValueError):
    """A rule change that cannot be made; the message is one sentence naming the value."""


NUMBER_RULES = ("at_risk_fraction", "at_risk_hours", "trend_min_sample")
LIST_RULES = ("resolved_statuses", "paused_statuses", "computed_outcomes")
SETTABLE = ("sla_targets", "teams", "team_rules", *LIST_RULES, *NUMBER_RULES, "calendar",
            "team_calendars", *(f"score.{part.name}" for part in SCORE_PARTS))


def with_rule(settings: dict, name: str, words: list[str]) -> dict:
    """A copy of ``settings`` with rule ``name`` set from ``words`` (``validate`` still has
    to accept the result)."""
    changed = copy.deepcopy(settings)
    if name == "calendars":
        raise RuleError("Calendars are added and removed with ./sla.sh calendar add and "
                        "./sla.sh calendar remove.")
    if name not in SETTABLE:
        raise RuleError(f"“{name}” is not a rule (rules: {', '.join(SETTABLE)}).")
    if name.startswith("score."):
        changed["score"][name.split(".", 1)[1]] = _number(name, words)
    elif name in NUMBER_RULES:
        changed[name] = _number(name, words)
    elif name in LIST_RULES:
        changed[name] = [word.strip() for word in words]
    elif name == "calendar":
        changed[name] = _one(name, words)
    elif name == "sla_targets":
        changed[name].update(_targets(words))
    elif name == "team_rules":
        changed[name] = [_team_rule(word) for word in words]
    elif name == "teams":
        changed[name] = [_team(word) for word in words]
    else:
        changed[name] = dict(_pair(word) for word in words)
    return changed


def _one(name: str, words: list[str]) -> str:
    if len(words) != 1 or not words[0].strip():
        raise RuleError(f"“{name}” takes one value.")
    return words[0].strip()


def _number(name: str, words: list[str]) -> float | int:
    text = _one(name, words)
    try:
        value = float(text)
    except ValueError:
        raise RuleError(f"“{text}” is not a number (for {name}).") from None
    return int(value) if value.is_integer() and "." not in text else value


TARGET = re.compile(r"\s*(P\d)\s*=\s*([^/]+)/(.+)", re.IGNORECASE)


def _targets(words: list[str]) -> dict:
    targets = {}
    for word in words:
        match = TARGET.fullmatch(word)
        if not match:
            raise RuleError(f"“{word}” is not a target (write P3=4/24: response / resolution "
                            "hours).")
        try:
            targets[match.group(1).upper()] = {"response": float(match.group(2)),
                                               "resolution": float(match.group(3))}
        except ValueError:
            raise RuleError(f"“{word}” is not a target (write P3=4/24: response / resolution "
                            "hours).") from None
    return targets


def _team_rule(word: str) -> dict:
    team, _, rest = word.partition(":")
    phrases, tilde, pattern = rest.partition("~")
    if not rest.strip() or (tilde and not pattern.strip()):
        raise RuleError(f"“{word}” is not a team rule (write L1: l1, level 1, =exact name, "
                        "~pattern).")
    parts = [p.strip() for p in phrases.split(",") if p.strip()]
    rule = {"team": team.strip(), "words": [p.lower() for p in parts if not p.startswith("=")],
            "exact": [p[1:].strip().lower() for p in parts if p.startswith("=")]}
    if tilde:
        rule["pattern"] = pattern.strip()
    return rule


TEAM = re.compile(r"\s*([^:<>]+?)\s*(?::\s*([^<>]*?))?\s*(?:<([^<>]*)>)?\s*")


def _team(word: str) -> dict:
    match = TEAM.fullmatch(word)
    if not match:
        raise RuleError(f"“{word}” is not a team (write Name, Name: Lead or "
                        "Name: Lead <e-mail>).")
    return {"name": match[1], "lead": (match[2] or "").strip(), "email": (match[3] or "").strip()}


def _pair(word: str) -> tuple[str, str]:
    team, sign, calendar = word.partition("=")
    if not sign or not team.strip() or not calendar.strip():
        raise RuleError(f"“{word}” is not a team and its calendar (write L1=Madrid office).")
    return team.strip(), calendar.strip()


def rule_lines(settings: dict) -> list[tuple[str, str]]:
    """(rule, value in words) for every rule, as ``settings show`` prints them."""
    lines = []
    for declared in RULES:
        value = settings[declared.name]
        if declared.parts:
            lines += [(f"{declared.name}.{part.name}", number_text(value[part.name]))
                      for part in declared.parts]
        else:
            lines.append((declared.name, value_text(declared.name, value)))
    return lines


def value_text(name: str, value) -> str:
    """A rule's value in the words ``with_rule`` reads."""
    if name == "sla_targets":
        return ", ".join(f"{p}={number_text(t['response'])}/{number_text(t['resolution'])}"
                         for p, t in value.items())
    if name == "team_rules":
        return "; ".join(_team_rule_text(r) for r in value)
    if name == "teams":
        return ", ".join(t["name"] + (f": {t['lead']}" if t.get("lead") else "")
                         + (f" <{t['email']}>" if t.get("email") else "") for t in value)
    if name == "calendars":
        return ", ".join(c["name"] for c in value) or "(none besides 24x7)"
    if name == "team_calendars":
        return ", ".join(f"{team}={cal}" for team, cal in value.items()) or "(none)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    return number_text(value)


def _team_rule_text(rule: dict) -> str:
    """``L1: l1, level 1, =exact name, ~pattern``, as ``_team_rule`` reads it."""
    parts = [*rule["words"], *(f"={e}" for e in rule["exact"])]
    text = f"{rule['team']}: " + ", ".join(parts)
    if rule.get("pattern"):
        text += (", " if parts else "") + f"~{rule['pattern']}"
    return text
