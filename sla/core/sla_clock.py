"""Which SLA clock a ticket runs on, by the rules in force: its team's calendar, the statuses
that pause it, and whether the app or the file judges its outcome (docs/metrics.md, "The SLA
clock"). The working time itself is ``sla.core.calendars``."""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import pandas as pd

from sla.core.calendars import ALWAYS, WorkingClock

OTHER_SOURCE = "other"  # files no preset reads, in the rule ``computed_outcomes``


def calendar_name(team: str | None, settings: dict) -> str:
    """The calendar a team's tickets are measured on."""
    if team is None or team != team:  # None or NaN
        team = ""
    return settings["team_calendars"].get(team, settings["calendar"])


def calendar_names(teams, settings: dict) -> np.ndarray:
    """The calendar of each team of ``teams`` (any sequence), looked up once per team."""
    teams = pd.Series(teams, dtype=object)
    names = {team: calendar_name(team, settings) for team in pd.unique(teams.to_numpy())}
    return teams.map(names).to_numpy(dtype=object)


def clock_named(name: str, settings: dict) -> WorkingClock:
    """The working clock of a calendar of the settings (the built-in 24x7 included)."""
    if name == ALWAYS:
        return _always()
    calendar = next(c for c in settings["calendars"] if c["name"] == name)
    return _clock(json.dumps(calendar, sort_keys=True))


@lru_cache(maxsize=1)
def _always() -> WorkingClock:
    return WorkingClock.always()


@lru_cache(maxsize=16)
def _clock(calendar_json: str) -> WorkingClock:
    return WorkingClock(json.loads(calendar_json))


def source_of(ticket: dict) -> str:
    """The export a ticket came from, as the rule ``computed_outcomes`` names it."""
    return ticket.get("preset") or OTHER_SOURCE


def paused_set(settings: dict) -> set[str]:
    """The paused statuses, lower case."""
    return {status.strip().lower() for status in settings["paused_statuses"]}


def is_paused(status: str | None, paused: set[str]) -> bool:
    return bool(status) and status.strip().lower() in paused
