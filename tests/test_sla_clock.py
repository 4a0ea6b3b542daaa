"""Which clock a ticket runs on (``sla.core.sla_clock``): its team's calendar, the paused
statuses, and which export's outcomes the app judges."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np

from sla.core import rules
from sla.core.sla_clock import (
    OTHER_SOURCE,
    calendar_name,
    calendar_names,
    clock_named,
    is_paused,
    paused_set,
    source_of,
)

OFFICE = {"name": "Office", "timezone": "UTC", "hours": ["Mon-Fri 08:00-18:00"], "holidays": []}


def office_for_l2() -> dict:
    """The default rules with L2 on the Office calendar, every other team on 24x7."""
    return {**copy.deepcopy(rules.DEFAULT_SETTINGS), "calendars": [OFFICE],
            "team_calendars": {"L2": "Office"}}


def test_a_team_uses_its_own_calendar_else_every_teams():
    settings = office_for_l2()
    assert [calendar_name(team, settings) for team in ("L2", "L1", None, float("nan"))] == \
        ["Office", "24x7", "24x7", "24x7"]
    assert list(calendar_names(["L2", "L1", None, "L2"], settings)) == \
        ["Office", "24x7", "24x7", "Office"]
    settings["calendar"] = "Office"
    assert calendar_name("Business", settings) == "Office"


def test_a_calendar_by_name_counts_its_working_hours():
    settings = office_for_l2()
    friday, monday = np.datetime64("2026-03-06T16:00"), np.datetime64("2026-03-09T10:00")
    assert clock_named("Office", settings).hours_between(
        np.array([friday]), np.array([monday]))[0] == 4.0
    assert clock_named("24x7", settings).hours_between(
        np.array([friday]), np.array([monday]))[0] == 66.0
    assert clock_named("Office", settings) is clock_named("Office", office_for_l2())
    assert dt.timedelta(hours=66) == (monday - friday).astype(dt.timedelta)


def test_paused_statuses_match_in_any_case_and_spacing():
    paused = paused_set({"paused_statuses": [" Awaiting User Info", "PENDING customer"]})
    assert paused == {"awaiting user info", "pending customer"}
    assert is_paused("awaiting user info ", paused) and is_paused("Pending Customer", paused)
    assert not is_paused("Awaiting Vendor", paused) and not is_paused(None, paused)
    assert not is_paused("", paused)


def test_a_ticket_without_a_preset_comes_from_other():
    assert source_of({"preset": "servicenow"}) == "servicenow"
    assert source_of({"preset": None}) == source_of({}) == OTHER_SOURCE == "other"
