"""The Settings form's side of the rules: settings as the rows and texts an admin edits, the
rows back as settings, and what a save moved as one sentence."""

from __future__ import annotations

import math
import re

from sla.core.display import literal
from sla.core.rules import OUTCOME_SOURCES, real_number


def target_rows(settings: dict) -> list[dict]:
    """The SLA targets as rows of a table (priority, response, resolution)."""
    return [{"priority": p, "response": t["response"], "resolution": t["resolution"]}
            for p, t in settings["sla_targets"].items()]


def targets_from_rows(rows: list[dict]) -> dict:
    """SLA targets from table rows; an empty cell becomes None (``validate`` then says so)."""
    return {row["priority"]: {"response": real_number(row["response"]),
                              "resolution": real_number(row["resolution"])} for row in rows}


def _is_empty(value) -> bool:
    """An empty table cell: None, NaN or blank text."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, float) and math.isnan(value))


def team_rows(settings: dict) -> list[dict]:
    """The desk's teams as rows of a table, in their order."""
    return [{"name": t["name"], "lead": t.get("lead") or "", "email": t.get("email") or ""}
            for t in settings["teams"]]


def teams_from_rows(rows: list[dict]) -> list[dict]:
    """Teams from table rows, trimmed; rows left wholly empty are dropped."""
    teams = []
    for row in rows:
        team = {key: "" if _is_empty(row.get(key)) else str(row[key]).strip()
                for key in ("name", "lead", "email")}
        if any(team.values()):
            teams.append(team)
    return teams


def team_rule_rows(settings: dict) -> list[dict]:
    """The team rules as rows of a table, phrases comma separated."""
    return [{"team": r["team"], "words": ", ".join(r["words"]), "exact": ", ".join(r["exact"]),
             "pattern": r.get("pattern") or ""}
            for r in settings["team_rules"]]


def team_rules_from_rows(rows: list[dict]) -> list[dict]:
    """Team rules from table rows; rows left wholly empty are dropped."""
    rules = []
    for row in rows:
        team = row.get("team")
        team_rule = {"team": None if _is_empty(team) else team,
                     "words": _phrases(row.get("words")),
                     "exact": _phrases(row.get("exact"))}
        if not _is_empty(row.get("pattern")) and str(row["pattern"]).strip():
            team_rule["pattern"] = str(row["pattern"]).strip()
        if any(team_rule.values()):
            rules.append(team_rule)
    return rules


def with_names_mapped(team_rules: list[dict], team: str, names: list[str]) -> list[dict]:
    """``team_rules`` with the raw team ``names`` mapped exactly to ``team``: added to the
    exact values of the team's first rule, else in a rule of their own at the end."""
    exact = [cleaned for cleaned in (_cleaned(name) for name in names) if cleaned]
    changed = [dict(rule) for rule in team_rules]
    for rule in changed:
        if rule["team"] == team:
            rule["exact"] = [*rule["exact"], *(e for e in exact if e not in rule["exact"])]
            return changed
    return [*changed, {"team": team, "words": [], "exact": exact}]


def _cleaned(name: str) -> str:
    """A name in the form raw team names are compared in (``teams.team_of``)."""
    return " ".join(re.split(r"[^0-9a-z]+", str(name).lower())).strip()


def _phrases(text) -> list[str]:
    """Comma-separated phrases in the form raw team names are compared in: lower case, every
    run of characters other than letters and digits one space (so ``Level-1`` is ``level 1``)."""
    if _is_empty(text):
        return []
    return [p for p in (_cleaned(part) for part in str(text).split(",")) if p]


def statuses_from_text(text: str) -> list[str]:
    """One status per line, trimmed; blank lines dropped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


MOVED_FIELDS = {"status_class": "status", "team": "team", "priority": "priority",
                "response_sla": "response SLA", "resolution_sla": "resolution SLA"}


def moves_text(moved: dict) -> str:
    """What a save changed in the stored tickets (``edits.save_settings``'s answer, changes
    written ``old → new``), as one Markdown sentence; values from files shown literally."""
    if not moved:
        return "No ticket changed class."
    return "What moved: " + "; ".join(
        f"{MOVED_FIELDS.get(field, field.replace('_', ' '))}: "
        + ", ".join(f"{_change_text(change)} ({count:,})" for change, count in changes.items())
        for field, changes in moved.items()) + "."


CLOCK_RULES = ("sla_targets", "calendars", "calendar", "team_calendars", "paused_statuses")
FILE_DECIDES = ("The exports' own durations and SLA columns still decide their tickets' "
                "outcomes: to judge them by these targets and calendars, choose "
                "\"compute outcomes from our targets and calendars\" for their export "
                "(rule computed_outcomes).")


def file_decides_note(before: dict, after: dict, moved: dict) -> str:
    """Why a change of a target, calendar or pause moved no outcome, when that is because the
    files' verdicts decide (docs/metrics.md, "Which source decides"); else empty."""
    clock_changed = any(before.get(name) != after.get(name) for name in CLOCK_RULES)
    outcomes_moved = any(moved.get(name) for name in ("response_sla", "resolution_sla"))
    if not clock_changed or outcomes_moved or len(after["computed_outcomes"]) >= len(OUTCOME_SOURCES):
        return ""
    return FILE_DECIDES


def _change_text(change: str) -> str:
    """``old → new`` with each side literal, and a missing value (None) as "empty"."""
    return " → ".join("empty" if side == "None" else literal(side)
                      for side in change.split(" → "))
