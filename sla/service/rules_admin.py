"""Rule changes made by name, as the command line and the Settings page's calendar form make
them: one rule set from words, a calendar added, assigned or removed. Each is checked whole
(``rules.validate``) before anything is stored, then saved like any Settings change
(``edits.save_settings``: every stored ticket derived again, what moved returned)."""

from __future__ import annotations

import copy

from pymongo.database import Database

from sla.core import calendars
from sla.core.calendars import ALWAYS, CalendarError
from sla.core.rule_text import RuleError, with_rule
from sla.core.rules import validate
from sla.ingest.holidays import HolidayFileError, read_holidays
from sla.service.edits import save_settings
from sla.storage.settings import get_settings

__all__ = ["RuleError", "set_rule", "add_calendar", "assign_calendar", "remove_calendar"]


def set_rule(db: Database, name: str, words: list[str], user: str) -> dict:
    """Set rule ``name`` from command-line ``words``; what moved."""
    return _save(db, with_rule(get_settings(db), name, words), user)


def add_calendar(db: Database, calendar: dict, holiday_files: list[tuple[bytes, str]],
                 user: str) -> tuple[dict, bool]:
    """Add ``calendar`` (or replace the one of its name), with the holidays of
    ``holiday_files`` ((content, file name) pairs) added to its own; what moved, and whether
    it replaced one."""
    calendar = dict(calendar)
    try:
        for content, file_name in holiday_files:
            calendar["holidays"] = [*calendar.get("holidays", []),
                                    *(d.isoformat() for d in read_holidays(content, file_name))]
        calendar = calendars.normalised(calendar)
    except (CalendarError, HolidayFileError) as exc:
        raise RuleError(str(exc)) from None
    settings = get_settings(db)
    for held in settings["calendars"]:
        if held["name"] != calendar["name"] \
                and held["name"].casefold() == calendar["name"].casefold():
            raise RuleError(f"A calendar named “{held['name']}” exists already; use that name "
                            "to replace it.")
    kept = [c for c in settings["calendars"] if c["name"] != calendar["name"]]
    replaced = len(kept) != len(settings["calendars"])
    settings["calendars"] = [*kept, calendar]
    return _save(db, settings, user), replaced


def assign_calendar(db: Database, name: str, teams: list[str], user: str) -> dict:
    """Make the teams (none: every team) use calendar ``name``; what moved."""
    settings = get_settings(db)
    _known(settings, name)
    if teams:
        settings["team_calendars"].update({team: name for team in teams})
    else:
        settings["calendar"], settings["team_calendars"] = name, {}
    return _save(db, settings, user)


def remove_calendar(db: Database, name: str, user: str) -> dict:
    """Remove calendar ``name``, refused while a team uses it; what moved (nothing)."""
    settings = get_settings(db)
    _known(settings, name)
    if name == ALWAYS:
        raise RuleError("The built-in 24x7 calendar cannot be removed.")
    users = [team for team, used in settings["team_calendars"].items() if used == name]
    if settings["calendar"] == name:
        users.insert(0, "every team")
    if users:
        raise RuleError(f"Calendar “{name}” is still used by {', '.join(users)}; assign "
                        "another calendar first.")
    settings["calendars"] = [c for c in settings["calendars"] if c["name"] != name]
    return _save(db, settings, user)


def _known(settings: dict, name: str) -> None:
    names = [ALWAYS, *(c["name"] for c in settings["calendars"])]
    if name not in names:
        raise RuleError(f"“{name}” is not a calendar (calendars: {', '.join(names)}).")


def _save(db: Database, settings: dict, user: str) -> dict:
    problems = validate(settings)
    if problems:
        raise RuleError(problems[0])
    return save_settings(db, copy.deepcopy(settings), user)
