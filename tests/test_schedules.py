"""``sla.core.schedules``: the words a digest's schedule and an at-risk look-ahead are typed in,
and when a digest is due, in the subscriber's time zone across daylight-saving changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.core import schedules
from sla.core.schedules import Schedule, ScheduleError


@pytest.mark.parametrize("text, expected", [
    ("daily 08:00", Schedule(None, 8, 0)), ("  Daily 7:05 ", Schedule(None, 7, 5)),
    ("weekly mon 08:00", Schedule(0, 8, 0)), ("weekly Friday 17:30", Schedule(4, 17, 30)),
    ("WEEKLY sun 00:00", Schedule(6, 0, 0))])
def test_schedules_read_as_typed(text, expected):
    assert schedules.parse_schedule(text) == expected
    assert schedules.parse_schedule(expected.words()) == expected


@pytest.mark.parametrize("text, says", [
    ("hourly", "is not \"daily HH:MM\""), ("weekly 08:00", "needs a day"),
    ("weekly mo 08:00", "needs a day"), ("weekly funday 08:00", "needs a day"),
    ("daily mon 08:00", "takes no day"), ("daily 24:00", "no time of day"),
    ("daily 08:60", "no time of day"), ("", "is not \"daily HH:MM\"")])
def test_a_schedule_that_does_not_parse_is_one_sentence(text, says):
    with pytest.raises(ScheduleError, match=says) as caught:
        schedules.parse_schedule(text)
    assert "\n" not in str(caught.value)


def test_the_due_time_keeps_its_wall_clock_time_across_daylight_saving():
    plan = schedules.parse_schedule("daily 08:00", "Europe/Madrid")
    before = plan.next_after(dt.datetime(2026, 3, 27, 12, 0))  # 28 March: CET, UTC+1
    after = plan.next_after(before)  # 29 March: CEST, UTC+2
    assert (before, after) == (dt.datetime(2026, 3, 28, 7, 0), dt.datetime(2026, 3, 29, 6, 0))


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)),
       st.sampled_from([None, *range(7)]), st.integers(0, 23), st.integers(0, 59),
       st.sampled_from(["UTC", "Europe/Madrid", "America/New_York", "Asia/Kolkata",
                        "Australia/Lord_Howe"]))
def test_the_next_due_time_is_the_first_one_after(instant, weekday, hour, minute, zone):
    plan = Schedule(weekday, hour, minute, zone)
    due = plan.next_after(instant)
    assert instant < due <= instant + dt.timedelta(days=8)
    local = due.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(zone))
    assert weekday is None or local.weekday() == weekday
    gap = local.replace(hour=hour, minute=minute, tzinfo=None) != local.replace(tzinfo=None)
    assert gap or (local.hour, local.minute) == (hour, minute)


@pytest.mark.parametrize("text, hours", [("4h", 4), ("90m", 1.5), ("1.5 hours", 1.5),
                                         ("2d", 48), ("30 min", 0.5)])
def test_a_look_ahead_reads_in_hours(text, hours):
    assert schedules.parse_within(text) == hours


@pytest.mark.parametrize("text", ["soon", "0h", "-4h", "4", "4 weeks", "100000d"])
def test_a_look_ahead_that_does_not_parse_is_refused(text):
    with pytest.raises(ScheduleError):
        schedules.parse_within(text)


def test_an_unknown_time_zone_is_named():
    with pytest.raises(ScheduleError, match="The time zone 'Mars/Base' is not known"):
        schedules.parse_schedule("daily 08:00", "Mars/Base")
