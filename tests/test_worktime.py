"""The SLA clock of each ticket (``sla.ingest.worktime.derive_work``), worked out by hand.

The Office calendar is Mon-Fri 08:00-18:00 in UTC; 2026-03-06 is a Friday, 2026-03-09 the
Monday after it.
"""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from pytest import approx

from sla.core import rules
from sla.ingest.worktime import derive_work, judged

OFFICE = {"name": "Office", "timezone": "UTC", "hours": ["Mon-Fri 08:00-18:00"],
          "holidays": ["2026-03-10"]}
AWAITING = "Awaiting User Info"


def rules_with(**changes) -> dict:
    """The default rules with some changed (a deep copy)."""
    return {**copy.deepcopy(rules.DEFAULT_SETTINGS), **changes}


def office(**changes) -> dict:
    """Every team on the Office calendar, "Awaiting User Info" paused."""
    return rules_with(calendars=[OFFICE], calendar="Office", paused_statuses=[AWAITING],
                      **changes)


def at(day: int, hour: float) -> dt.datetime:
    return dt.datetime(2026, 3, day) + dt.timedelta(hours=hour)


def ticket(created, resolved=None, points=(), status="Resolved", **fields) -> dict:
    """A ticket as ``normalise.derive`` leaves it; ``points`` are (time, status) of its
    timeline."""
    return {"sr_number": "T", "team": "L1", "priority": "P3", "status": status,
            "status_class": "resolved" if resolved else "pending", "created": created,
            "resolved_at": resolved, "resolution_hours": None, "response_hours": 1.0,
            "resolution_sla_in_file": False, "resolution_sla": None, "response_sla": None,
            "timeline": [{"at": time, "team_raw": "L1 Desk", "status": state, "exact": True}
                         for time, state in points], **fields}


def derived(tickets: list[dict], settings: dict) -> list[dict]:
    derive_work(tickets, settings)
    return tickets


def test_the_default_rules_measure_nothing_and_keep_the_files_figures():
    one = ticket(at(2, 8), at(2, 20), [(at(2, 8), "Open"), (at(2, 9), AWAITING)],
                 resolution_hours=12.0)
    [done] = derived([one], rules_with())
    assert (done["calendar"], done["paused_hours"], done["paused_since"]) == ("24x7", None, None)
    assert (done["hours_source"], done["worked_hours"]) == ("file", None)


def test_a_pause_from_an_event_log_counts_until_the_next_event():
    """08:00 open, 10:00 awaiting, 14:00 back in progress, resolved 16:00, on 24x7: 4 h
    paused, 8 - 4 = 4 h worked."""
    one = ticket(at(2, 8), at(2, 16), [(at(2, 8), "Open"), (at(2, 10), AWAITING),
                                       (at(2, 14), "In Progress"), (at(2, 16), "Resolved")],
                 resolution_hours_from="dates")
    [done] = derived([one], rules_with(paused_statuses=[" awaiting user info "]))
    assert done["paused_hours"] == approx(4.0)
    assert (done["hours_source"], done["worked_hours"]) == ("clock", approx(4.0))
    assert done["resolution_sla"] == "met"  # 4 h against P3's 24 h


def test_a_pause_across_a_weekend_counts_only_its_working_hours():
    """Created Fri 09:00, paused Fri 16:00 to Mon 10:00 (2 working hours: Fri 16-18; Mon 8-10
    is 2 more), resolved Mon 12:00: 13 working hours less 4 paused = 9."""
    one = ticket(at(6, 9), at(9, 12), [(at(6, 9), "Open"), (at(6, 16), AWAITING),
                                       (at(9, 10), "In Progress")],
                 resolution_hours_from="dates")
    [done] = derived([one], office())
    assert done["paused_hours"] == approx(4.0)
    assert done["worked_hours"] == approx(9.0)


def test_a_holiday_and_a_ticket_created_outside_hours():
    """Created Mon 20:00 (after hours), Tuesday 10 March is a holiday, resolved Wed 09:30:
    1.5 working hours."""
    one = ticket(at(9, 20), at(11, 9.5), resolution_hours_from="dates")
    [done] = derived([one], office())
    assert done["worked_hours"] == approx(1.5)


def test_an_open_ticket_paused_now_keeps_the_start_of_its_pause():
    one = ticket(at(2, 8), None, [(at(2, 8), "Open"), (at(2, 12), AWAITING)], status=AWAITING)
    [done] = derived([one], office())
    assert done["paused_since"] == at(2, 12)
    assert done["paused_hours"] is None  # no closed pause behind it


def test_a_pause_the_ticket_was_resolved_in_ends_at_its_resolution():
    one = ticket(at(2, 8), at(2, 15), [(at(2, 8), "Open"), (at(2, 12), AWAITING)],
                 resolution_hours_from="dates")
    [done] = derived([one], office())
    assert done["paused_hours"] == approx(3.0)
    assert done["worked_hours"] == approx(4.0)


def test_a_pause_before_created_is_cut_at_created():
    one = ticket(at(2, 10), at(2, 14), [(at(2, 8), AWAITING), (at(2, 11), "Open")],
                 resolution_hours_from="dates")
    [done] = derived([one], office())
    assert done["paused_hours"] == approx(1.0)
    assert done["worked_hours"] == approx(3.0)


def test_the_files_verdict_stands_unless_its_export_is_computed():
    """The file says 30 h and met; our target for P3 is 24 h, and the Office calendar makes
    the span Mon 08:00 to Tue 14:00 16 working hours."""
    def one():
        return ticket(at(2, 8), at(3, 14), resolution_hours=30.0, resolution_sla="met",
                      resolution_sla_in_file=True)
    [kept] = derived([one()], office())
    assert (kept["hours_source"], kept["resolution_sla"]) == ("file", "met")
    [ours] = derived([one()], office(computed_outcomes=["other"]))
    assert (ours["hours_source"], ours["worked_hours"]) == ("clock", approx(16.0))
    assert ours["resolution_sla"] == "met"
    [strict] = derived([one()], office(computed_outcomes=["other"], sla_targets={
        **rules.DEFAULT_SETTINGS["sla_targets"], "P3": {"response": 0.5, "resolution": 8.0}}))
    assert (strict["resolution_sla"], strict["response_sla"]) == ("breached", "breached")
    [other_export] = derived([one() | {"preset": "servicenow"}],
                             office(computed_outcomes=["other"]))
    assert other_export["hours_source"] == "file"


def test_dates_on_the_wall_clock_with_no_pause_keep_their_plain_difference():
    one = ticket(at(2, 8), at(2, 20), resolution_hours=12.0, resolution_hours_from="dates")
    [done] = derived([one], rules_with())
    assert (done["hours_source"], done["worked_hours"]) == ("file", None)


def test_each_team_uses_its_own_calendar():
    settings = office(team_calendars={"L2": "24x7"})
    tickets = [ticket(at(6, 9), at(9, 9), resolution_hours_from="dates", team=team)
               for team in ("L1", "L2")]
    l1, l2 = derived(tickets, settings)
    assert (l1["calendar"], l1["worked_hours"]) == ("Office", approx(10.0))
    assert (l2["calendar"], l2["hours_source"]) == ("24x7", "file")  # the plain 72 h stand


def test_a_ticket_with_no_dates_is_left_unmeasured():
    one = ticket(None, None, resolution_hours_from="dates")
    [done] = derived([one], office(computed_outcomes=["other"]))
    assert (done["hours_source"], done["worked_hours"], done["resolution_sla"]) == \
        ("clock", None, None)


@pytest.mark.parametrize(("hours", "target", "outcome"), [
    (8.0, 8.0, "met"), (8.01, 8.0, "breached"), (None, 8.0, None), (3.0, None, None)])
def test_judged_meets_at_the_target_itself(hours, target, outcome):
    assert judged(hours, target) == outcome
