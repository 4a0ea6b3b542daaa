"""Business-hours calendars: weekly working windows, holidays and a time zone, and the clock
that counts SLA time on them.

A calendar is a JSON-able dict (what the settings store keeps)::

    {"name": "Madrid office", "timezone": "Europe/Madrid",
     "hours": ["Mon-Fri 08:00-12:00", "Mon-Fri 13:00-17:00"], "holidays": ["2026-12-25"]}

Ticket times are naive wall-clock times in the calendar's zone. The windows are wall-clock
windows of each local date and a holiday is a whole local date off, but the clock counts real
elapsed time: on the night clocks go forward an hour is missing, on the night they go back an
hour is counted twice. A wall time that does not exist (in the gap) is taken as the first
instant after the gap; a wall time that exists twice (in the repeated hour) as its summer-time
reading, the earlier instant, always the same way, so later wall times never map to earlier
instants and working time never runs backwards.

``WorkingClock`` measures a whole column of tickets at once: it builds, per calendar, the sorted
working intervals in UTC nanoseconds over the dates asked about, with their cumulative working
time, and reads both directions (hours between two times, the time a number of working hours
after a start) with ``searchsorted``. The built-in ``24x7`` calendar is plain subtraction.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable

import numpy as np
import pandas as pd

from sla.core.working_hours import (
    EXAMPLE,
    CalendarError,
    hours_text,
    merged,
    parse_hours,
    shown,
)

__all__ = ["ALWAYS", "ALWAYS_CALENDAR", "CalendarError", "WorkingClock", "calendar_problems",
           "hours_text", "normalised", "parse_hours"]

ALWAYS = "24x7"
ALWAYS_CALENDAR = {"name": ALWAYS, "timezone": "UTC", "hours": ["Mon-Sun 00:00-24:00"],
                   "holidays": []}
MAX_YEARS = 200  # the widest span of dates the clock builds working intervals for
_MAX_DAYS = int(MAX_YEARS * 365.2425)
_PART_DAYS = _MAX_DAYS // 4  # starts measured together, and the longest span measured

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NS_MINUTE = 60 * 10**9
_NS_HOUR = 60 * _NS_MINUTE
_NS_DAY = 24 * _NS_HOUR
_NAT = np.iinfo(np.int64).min  # NaT as int64 nanoseconds
_THURSDAY = 3  # 1970-01-01, day 0 of numpy's day numbers


def calendar_problems(calendar: dict, known_names: Iterable[str] = ()) -> list[str]:
    """What is wrong with ``calendar``, one sentence per problem; empty when it can be used.

    ``known_names`` are the names other calendars already have (a calendar being edited
    leaves its own out); names are compared without case, like the reserved ``24x7``.
    """
    if not isinstance(calendar, dict):
        return ["A calendar must have a name, a time zone, working hours and holidays."]
    problems = (_name_problems(calendar.get("name"), known_names)
                + _failures(_zone, [calendar.get("timezone")]))
    hours, holidays = calendar.get("hours"), calendar.get("holidays", [])
    if not isinstance(hours, list | tuple):
        problems.append(f"Working hours must be a list of lines, {EXAMPLE}.")
    elif not hours:
        problems.append(f"A calendar needs at least one working window, {EXAMPLE}.")
    problems += _failures(parse_hours, hours if isinstance(hours, list | tuple) else [])
    if not isinstance(holidays, list | tuple):
        return [*problems, "Holidays must be a list of dates such as 2026-12-25."]
    return problems + _failures(_holiday, holidays)


def _failures(check, values: Iterable) -> list[str]:
    """The message of each value ``check`` rejects."""
    problems = []
    for value in values:
        try:
            check(value)
        except CalendarError as error:
            problems.append(str(error))
    return problems


def _name_problems(name: object, known_names: Iterable[str]) -> list[str]:
    if not isinstance(name, str) or not name.strip():
        return ["A calendar needs a name."]
    if name.strip().casefold() == ALWAYS.casefold():
        return [f"“{ALWAYS}” is the name of the built-in calendar (choose another name)."]
    if name.strip().casefold() in {str(known).strip().casefold() for known in known_names}:
        return [f"“{shown(name)}” is already the name of another calendar."]
    return []


def _zone(name: object) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (KeyError, ValueError, TypeError, OSError):
        raise CalendarError(f"“{shown(name)}” is not a time zone (use a name such as "
                            "Europe/Madrid or UTC).") from None


def _holiday(text: object) -> dt.date:
    try:
        if isinstance(text, str) and _ISO_DATE.fullmatch(text):
            return dt.date.fromisoformat(text)
    except ValueError:
        pass
    raise CalendarError(f"“{shown(text)}” is not a date (use YYYY-MM-DD, such as 2026-12-25).")


def normalised(calendar: dict) -> dict:
    """The stored form of ``calendar``: name stripped, hours rewritten compactly, holidays
    sorted and unique. Raises CalendarError with the first problem of an invalid one."""
    problems = calendar_problems(calendar)
    if problems:
        raise CalendarError(problems[0])
    windows = [window for spec in calendar["hours"] for window in parse_hours(spec)]
    holidays = {_holiday(text).isoformat() for text in calendar.get("holidays", [])}
    return {"name": calendar["name"].strip(), "timezone": calendar["timezone"],
            "hours": hours_text(windows), "holidays": sorted(holidays)}


# ---------------------------------------------------------------- the clock

class WorkingClock:
    """Working time on one calendar, for whole arrays of naive local times at once.

    Inside, ``F(t)`` is the working time (ns) from the start of a table of working intervals
    to the UTC instant ``t``: with ``k`` the last interval starting at or before ``t``,
    ``F(t) = before[k] + clip(t - starts[k], 0, lengths[k])``. Hours between two times are
    a difference of ``F``; a deadline inverts ``F`` on the cumulative ends.
    """

    def __init__(self, calendar: dict):
        """A clock for a valid calendar; one named ``24x7`` is the built-in clock."""
        always = isinstance(calendar, dict) and calendar.get("name") == ALWAYS
        stored = ALWAYS_CALENDAR if always else normalised(calendar)
        self.name: str = stored["name"]
        self.zone = _zone(stored["timezone"])
        spans = merged(w for spec in stored["hours"] for w in parse_hours(spec))
        rows = sorted((day, start, end) for day, day_spans in spans.items()
                      for start, end in day_spans)
        self._day, self._start, self._end = (np.array(column, dtype=np.int64)
                                             for column in zip(*rows))
        self._count = np.bincount(self._day, minlength=7)
        self._first = np.cumsum(self._count) - self._count
        self._weekly_ns = int((self._end - self._start).sum()) * _NS_MINUTE
        self._holidays = np.array([np.datetime64(text, "D").astype(np.int64)
                                   for text in stored["holidays"]], dtype=np.int64)
        self._cache: tuple[int, int, tuple[np.ndarray, ...]] | None = None

    @classmethod
    def always(cls) -> WorkingClock:
        """The built-in 24x7 clock: every hour counts, wall time, zones ignored."""
        return cls(ALWAYS_CALENDAR)

    @property
    def is_always(self) -> bool:
        return self.name == ALWAYS

    def hours_between(self, start, end) -> np.ndarray:
        """Working hours from each ``start`` to its ``end`` (float64): NaN where either is
        NaT or they are more than 50 years apart, 0.0 where ``end`` is not after ``start``
        (24x7 too: never negative). On 24x7, otherwise exactly the wall-clock
        ``(end - start) / np.timedelta64(1, "h")``."""
        if self.is_always:
            hours = (_native(end) - _native(start)) / np.timedelta64(1, "h")
            return np.where(hours < 0, 0.0, hours)
        begin, finish = self._local(start), self._local(end)
        if len(begin) != len(finish):
            raise ValueError("start and end must have the same length")
        known = (begin != _NAT) & (finish != _NAT)
        hours = np.full(len(begin), np.nan)
        if known.any():
            hours[known] = self._between(begin[known], np.maximum(finish[known], begin[known]))
        return hours

    def _between(self, begin: np.ndarray, finish: np.ndarray) -> np.ndarray:
        """Working hours of known spans, measured in parts by start (_PART_DAYS wide) so no
        table spans more than MAX_YEARS; a span longer than _PART_DAYS is not measured
        (NaN), as a date a century off is an error of the file, not working time."""
        hours = np.full(len(begin), np.nan)
        fits = (finish - begin) // _NS_DAY <= _PART_DAYS
        part = begin // (_PART_DAYS * _NS_DAY)
        for key in np.unique(part[fits]):
            chosen = fits & (part == key)
            start, end = begin[chosen], finish[chosen]
            table = self._table(*_day_span(start, end))
            hours[chosen] = (_worked(table, self._to_utc(end))
                             - _worked(table, self._to_utc(start))) / _NS_HOUR
        return hours

    def add_hours(self, start, hours) -> np.ndarray:
        """The naive local time (datetime64[ns]) at which ``hours`` working hours have passed
        since each ``start``: a target's deadline. NaT where the start is NaT or the hours
        NaN, infinite, negative or more than 50 years of working time. A zero target from
        outside working time is due at the start itself. On 24x7, exactly ``start + hours``."""
        begin = self._local(start)
        wanted = np.broadcast_to(np.asarray(hours, dtype=np.float64), begin.shape)
        known = (begin != _NAT) & np.isfinite(wanted) & (wanted >= 0)
        if not self.is_always:  # a deadline further than _PART_DAYS away is not looked for
            known &= wanted <= _PART_DAYS / 7 * self._weekly_ns / _NS_HOUR
        if self.is_always:
            offsets = pd.to_timedelta(np.where(known, wanted, np.nan), unit="h")
            return (pd.DatetimeIndex(_native(start)) + offsets).as_unit("ns").to_numpy()
        due = np.full(len(begin), _NAT, dtype=np.int64)
        part = np.where(known, begin // (_PART_DAYS * _NS_DAY), 0)
        for key in np.unique(part[known]):
            chosen = known & (part == key)
            due[chosen] = self._deadlines(begin[chosen], wanted[chosen])
        return due.view("datetime64[ns]")

    def _deadlines(self, begin: np.ndarray, hours: np.ndarray) -> np.ndarray:
        """The deadlines (naive local ns) of known starts and hours; the table of intervals
        grows forward until it holds every deadline."""
        utc = self._to_utc(begin)
        wanted = np.rint(hours * _NS_HOUR).astype(np.int64)
        low, high = _day_span(begin)
        while True:
            starts, lengths, before = table = self._table(low, high)
            room = before[-1] + lengths[-1] - _worked(table, utc)  # working time left in it
            short = int((wanted - room).max())
            if short <= 0:
                break
            high += 14 + int(1.2 * 7 * short / max(self._weekly_ns, 1))
        target = before[-1] + lengths[-1] - room + wanted
        k = np.searchsorted(before + lengths, target, "left")
        due = np.maximum(starts[k] + (target - before[k]), utc)
        return np.where(due == utc, begin, self._to_local(due))

    def _local(self, values) -> np.ndarray:
        """Naive local nanoseconds (int64; NaT as its int64); aware times are converted."""
        index = pd.DatetimeIndex(values)
        if index.tz is not None:
            index = index.tz_convert(self.zone).tz_localize(None)
        return index.as_unit("ns").asi8

    def _to_utc(self, local: np.ndarray) -> np.ndarray:
        """UTC nanoseconds of naive local ones: a wall time in the gap as the first instant
        after it, a repeated wall time as its summer-time (earlier) reading."""
        index = pd.DatetimeIndex(local.view("datetime64[ns]"))
        return index.tz_localize(self.zone, ambiguous=np.ones(len(local), dtype=bool),
                                 nonexistent="shift_forward").asi8

    def _to_local(self, utc: np.ndarray) -> np.ndarray:
        index = pd.DatetimeIndex(utc.view("datetime64[ns]")).tz_localize("UTC")
        return index.tz_convert(self.zone).tz_localize(None).asi8

    def _table(self, first: int, last: int) -> tuple[np.ndarray, ...]:
        """The working intervals of local days ``first`` to ``last`` (day numbers) and two days
        either side, or of a wider span already built; a wider span is built once and kept."""
        low, high = first - 2, last + 2
        if self._cache and self._cache[0] <= low and high <= self._cache[1]:
            return self._cache[2]
        if last - first > _MAX_DAYS:
            years = (np.datetime64(day, "D").astype(object).year for day in (first, last))
            raise CalendarError("The dates from {} to {} are too far apart to measure working "
                                "time (at most {} years).".format(*years, MAX_YEARS))
        if self._cache and max(high, self._cache[1]) - min(low, self._cache[0]) < _MAX_DAYS:
            low, high = min(low, self._cache[0]), max(high, self._cache[1])
        table = self._intervals(low, high)
        self._cache = (low, high, table)
        return table

    def _intervals(self, low: int, high: int) -> tuple[np.ndarray, ...]:
        """(starts, lengths, before): the UTC nanoseconds of every working interval of the
        days, sorted, and the working time before each, after a zero-length first interval
        at the first day's midnight (so ``F`` is 0 before any work)."""
        days = np.arange(low, high + 1, dtype=np.int64)
        days = days[~np.isin(days, self._holidays)]
        count = self._count[(days + _THURSDAY) % 7]
        rows = np.repeat(self._first[(days + _THURSDAY) % 7] - (np.cumsum(count) - count),
                         count) + np.arange(count.sum())
        midnight = np.repeat(days, count) * _NS_DAY
        local = np.concatenate([[low * _NS_DAY], midnight + self._start[rows] * _NS_MINUTE,
                                midnight + self._end[rows] * _NS_MINUTE])
        utc = self._to_utc(local)
        starts, ends = utc[1:len(rows) + 1], utc[len(rows) + 1:]
        kept = ends > starts
        lengths = np.concatenate([[0], ends[kept] - starts[kept]])
        starts = np.concatenate([utc[:1], starts[kept]])
        before = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        return starts, lengths, before


def _native(values) -> np.ndarray:
    """datetime64 values in their own unit (aware ones as UTC wall time), for plain subtraction."""
    index = pd.DatetimeIndex(values)
    return (index.tz_convert("UTC").tz_localize(None) if index.tz is not None else index).to_numpy()


def _day_span(*columns: np.ndarray) -> tuple[int, int]:
    """The first and last local day numbers of the (known) times."""
    first = min(int(column.min()) for column in columns) // _NS_DAY
    return first, max(int(column.max()) for column in columns) // _NS_DAY


def _worked(table: tuple[np.ndarray, ...], utc: np.ndarray) -> np.ndarray:
    """``F``: working nanoseconds from the table's start to each UTC instant."""
    starts, lengths, before = table
    k = np.maximum(np.searchsorted(starts, utc, "right") - 1, 0)
    return before[k] + np.clip(utc - starts[k], 0, lengths[k])
