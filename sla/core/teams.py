"""The desk's teams (rule ``teams``) and the rules that map the files' team names to them
(rule ``team_rules``): the names in the order pages list them, their problems in one sentence
each, and the team of a raw name (docs/metrics.md, "Teams")."""

from __future__ import annotations

import functools
import re

FALLBACK_TEAMS = ("Other", "Unassigned")  # no rule matched; no team in the file
TEAM_NAME_LENGTH = 60
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def desk_teams(settings: dict) -> tuple[str, ...]:
    """The teams an admin named (rule ``teams``), in their order."""
    teams = settings["teams"]
    if not isinstance(teams, list):
        return ()
    return tuple(t["name"] for t in teams if isinstance(t, dict) and isinstance(t.get("name"), str))


def team_names(settings: dict) -> tuple[str, ...]:
    """Every team a ticket can be in, in the order pages list them: the desk's, then Other
    and Unassigned."""
    return (*desk_teams(settings), *FALLBACK_TEAMS)


def teams_problems(teams) -> list[str]:
    if not isinstance(teams, list) or not all(isinstance(t, dict) for t in teams):
        return ["The teams must be a list of teams, each with a name."]
    problems, seen = [], set()
    for number, team in enumerate(teams, start=1):
        name = team.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(f"Team {number} needs a name.")
            continue
        shown = name.strip()[:TEAM_NAME_LENGTH]
        if name != name.strip() or len(name) > TEAM_NAME_LENGTH:
            problems.append(f"The team name “{shown}” must have at most {TEAM_NAME_LENGTH} "
                            "characters and no spaces around it.")
        elif name.casefold() in {t.casefold() for t in FALLBACK_TEAMS}:
            problems.append(f"“{name}” is a team every desk has (choose another name).")
        elif name.casefold() in seen:
            problems.append(f"Two teams are named “{name}”.")
        seen.add(name.casefold())
        email = team.get("email") or ""
        if not isinstance(email, str) or (email and not _EMAIL.fullmatch(email)):
            problems.append(f"“{str(email)[:60]}” is not an e-mail address (team {shown}).")
        if not isinstance(team.get("lead") or "", str):
            problems.append(f"The lead of team {shown} must be a name.")
    return problems


def team_rule_problems(team_rules: list[dict], teams: tuple[str, ...]) -> list[str]:
    problems = []
    for number, team_rule in enumerate(team_rules, start=1):
        team = team_rule.get("team")
        if team not in teams:
            problems.append(f"Team rule {number} names “{str(team)[:60]}”, which is not one of "
                            f"the desk's teams ({', '.join(teams) or 'none yet'}): change the "
                            "rule first, or keep the team.")
        elif not (team_rule.get("words") or team_rule.get("exact") or team_rule.get("pattern")):
            problems.append(f"Team rule {number} ({team}) has no words, exact values or "
                            "pattern, so it would match nothing.")
        elif team_rule.get("pattern"):
            problems += _pattern_problems(number, team, team_rule["pattern"])
    return problems


def _pattern_problems(number: int, team: str, pattern) -> list[str]:
    try:
        matcher = _pattern(pattern)
    except (re.error, TypeError):
        return [f"The pattern of team rule {number} ({team}) is not a regular expression."]
    if matcher.search(""):
        return [f"The pattern of team rule {number} ({team}) matches every name, even an "
                "empty one."]
    return []


def team_of(team_raw: str | None, rules: list[dict]) -> str:
    """Section 5: the desk's team of the first rule that matches, Other when none does,
    Unassigned when the name is empty."""
    cleaned = " ".join(re.split(r"[^0-9a-z]+", (team_raw or "").lower())).strip()
    if not cleaned:
        return "Unassigned"
    padded = f" {cleaned} "
    for rule in rules:
        if cleaned in rule.get("exact", []) or any(f" {w} " in padded for w in rule.get("words", [])):
            return rule["team"]
        if rule.get("pattern") and _pattern(rule["pattern"]).search(team_raw):
            return rule["team"]
    return "Other"


@functools.lru_cache(maxsize=256)
def _pattern(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE)
