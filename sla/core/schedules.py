"""When a digest is due, and how much working time an at-risk alert looks ahead: parsed from
the words a user types ("daily 08:00", "weekly mon 08:00", "4h") and checked in one sentence.

A schedule's time is a wall-clock time in the subscriber's time zone (an IANA name such as
``Europe/Madrid``): "daily 08:00" stays at 08:00 across daylight-saving changes. Instants are
naive UTC, as the store keeps them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SCHEDULE = re.compile(r"\s*(daily|weekly)\s+(?:(\w+)\s+)?(\d{1,2}):(\d{2})\s*", re.IGNORECASE)
_WITHIN = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(h|hours?|m|min|minutes?|d|days?)\s*",
                     re.IGNORECASE)


class ScheduleError(ValueError):
    """A schedule, a time zone or a look-ahead that does not parse; one sentence."""


@dataclass(frozen=True)
class Schedule:
    """Daily (``weekday`` None) or weekly at ``hour``:``minute`` in ``zone``."""

    weekday: int | None
    hour: int
    minute: int
    zone: str = "UTC"

    def words(self) -> str:
        """The schedule as it is typed back: "weekly mon 08:00"."""
        when = f"{self.hour:02d}:{self.minute:02d}"
        return f"daily {when}" if self.weekday is None else f"weekly {DAYS[self.weekday]} {when}"

    def next_after(self, instant: dt.datetime) -> dt.datetime:
        """The first due time strictly after ``instant`` (naive UTC in, naive UTC out)."""
        zone = ZoneInfo(self.zone)
        local = instant.replace(tzinfo=dt.timezone.utc).astimezone(zone)
        day = local.date()
        for _ in range(9):  # at most a week ahead, and a day for a skipped local time
            if self.weekday is None or day.weekday() == self.weekday:
                due = dt.datetime.combine(day, dt.time(self.hour, self.minute), tzinfo=zone)
                due_utc = due.astimezone(dt.timezone.utc).replace(tzinfo=None)
                if due_utc > instant:
                    return due_utc
            day += dt.timedelta(days=1)
        raise AssertionError("a due time is always found within nine days")


def parse_schedule(text: str, zone: str = "UTC") -> Schedule:
    """``daily HH:MM`` or ``weekly DAY HH:MM`` (DAY: mon .. sun) in the time zone ``zone``."""
    check_zone(zone)
    found = _SCHEDULE.fullmatch(text or "")
    if not found:
        raise ScheduleError(f"The schedule {shown(text)} is not \"daily HH:MM\" or "
                            "\"weekly DAY HH:MM\" (DAY: mon to sun).")
    every, day, hour, minute = found.groups()
    if int(hour) > 23 or int(minute) > 59:
        raise ScheduleError(f"The schedule {shown(text)} names no time of day (00:00 to 23:59).")
    if every.lower() == "daily":
        if day:
            raise ScheduleError(f"The schedule {shown(text)} is daily: it takes no day.")
        return Schedule(None, int(hour), int(minute), zone)
    named = [index for index, name in enumerate(DAY_NAMES)
             if day and len(day) >= 3 and name.startswith(day.lower())]
    if not named:
        raise ScheduleError(f"The schedule {shown(text)} needs a day: mon to sun.")
    return Schedule(named[0], int(hour), int(minute), zone)


def check_zone(zone: str) -> str:
    """The time zone name when the machine knows it; ScheduleError when not."""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"The time zone {shown(zone)} is not known; give a name such as "
                            "Europe/Madrid or UTC.") from None
    return zone


def parse_within(text: str) -> float:
    """A look-ahead in working hours: "4h", "90m", "1.5 hours", "2d" (a day is 24 hours of
    the team's working time, e.g. about three office days)."""
    found = _WITHIN.fullmatch(text or "")
    if not found:
        raise ScheduleError(f"The time {shown(text)} is not a duration such as 4h, 90m or 2d.")
    value, unit = float(found.group(1)), found.group(2).lower()
    hours = value / 60 if unit.startswith("m") else value * 24 if unit.startswith("d") else value
    if not 0 < hours <= 24 * 365:
        raise ScheduleError(f"The time {shown(text)} must be above 0 and at most a year.")
    return hours


def shown(text: str | None) -> str:
    """A user's text quoted in a message, shortened."""
    text = "" if text is None else str(text)
    return repr(text if len(text) <= 40 else text[:39] + "…")
