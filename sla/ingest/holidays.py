"""Holiday lists for a business-hours calendar, read from a file a service-desk admin uploads:
an iCalendar file (.ics, as Outlook, Google Calendar or a government site export it) or a list
(.csv or .txt) whose first column holds the dates. ``holidays_text`` gives the ISO strings the
settings store keeps. Whatever is wrong with a file becomes a ``HolidayFileError`` whose
message is one sentence for the admin: the file's name, what is wrong and, in a list, the line.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import os
import re
import time
from collections.abc import Iterable, Iterator

import icalendar
from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rrulestr

from sla.core import display

MAX_BYTES = 1_000_000
MAX_DATES = 3_660  # ten years of every day; more is not a holiday list
REPEAT_YEARS = 10  # how far ahead a repeating event (RRULE) is worked out from its start
EXPAND_SECONDS = 3.0  # time allowed for working out repeating events, after parsing
SHOWN_CHARS = 40  # a value from the file is shown at most this long
ICS_EXTENSIONS = (".ics",)
LIST_EXTENSIONS = (".csv", ".txt")

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DAY_FIRST_DATE = re.compile(r"(\d{1,2})([/.])(\d{1,2})\2(\d{4})")
_DATE_LIKE = re.compile(r"[\d\s./-]*\d[\d\s./-]*")  # digits and separators: a date, mistyped
_DATE_THEN_DELIMITER = re.compile(r'\s*"?\s*[\d./-]+\s*"?\s*([,;\t])')
_PARTS = frozenset({"FREQ", "UNTIL", "COUNT", "INTERVAL", "BYSECOND", "BYMINUTE", "BYHOUR",
                    "BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH", "BYSETPOS",
                    "WKST"})  # an RRULE's parts (RFC 5545); dateutil's BYEASTER defeats _far_shift
_DAILY_OR_SLOWER = frozenset({"YEARLY", "MONTHLY", "WEEKLY", "DAILY"})


class HolidayFileError(ValueError):
    """A holiday file that cannot be used; the message is one sentence for whoever uploaded it."""


def read_holidays(data: bytes, file_name: str) -> list[dt.date]:
    """The sorted, unique dates in a holiday file, of the kind its extension says.

    An .ics file gives the dates its events cover (``_calendar_days``). A .csv or .txt list
    gives the dates in its first column (``_list_days``), written YYYY-MM-DD, DD/MM/YYYY or
    DD.MM.YYYY. Slashes are read day first, as in Europe: 03/04/2026 is 3 April, never
    March 4, and a US 12/25/2026 is refused rather than guessed.
    """
    name = display.clean(file_name) or "The file"
    extension = os.path.splitext(file_name)[1].lower()
    if extension not in ICS_EXTENSIONS + LIST_EXTENSIONS:
        raise HolidayFileError(f"{name} is not a kind of file holidays are read from: use an "
                               f"iCalendar file (.ics) or a list of dates (.csv or .txt).")
    if len(data) > MAX_BYTES:
        raise HolidayFileError(f"{name} is too big for a holiday list ({len(data):,} bytes; "
                               f"the limit is {MAX_BYTES:,}).")
    text = _decode(data, name)
    read_days = _calendar_days if extension in ICS_EXTENSIONS else _list_days
    days = read_days(text, name) if text.strip() else set()
    if not days:
        raise HolidayFileError(f"{name} holds no dates.")
    if len(days) > MAX_DATES:
        raise _too_many(name)
    return sorted(days)


def holidays_text(dates: Iterable[dt.date]) -> list[str]:
    """The dates as sorted, unique ISO strings (YYYY-MM-DD), as the settings store keeps them."""
    return sorted({day.isoformat() for day in dates})


def _too_many(name: str) -> HolidayFileError:
    return HolidayFileError(f"{name} gives more than {MAX_DATES:,} dates, too many for a "
                            f"holiday list.")


def _decode(data: bytes, name: str) -> str:
    """The file as text: UTF-8 (with or without a BOM), else Windows-1252 (what Excel saves as
    "CSV" on a European Windows), or UTF-16 when a BOM says so (Excel's "Unicode Text")."""
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    for encoding in ("utf-16",) if utf16 else ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:  # a NUL is a binary file's, whatever decoded it
            return text
    raise HolidayFileError(f"{name} is not a text file (save it as CSV or iCalendar).")


def _list_days(text: str, name: str) -> set[dt.date]:
    """The dates in the first column of a list; other columns (holiday names) are ignored.

    The first row that is not blank is a header, and skipped, when its first cell is not a
    date and does not look like one either (``date``, ``Fecha``): "31/02/2026" there is a
    mistake to report, not a header. Blank rows are skipped anywhere.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    days: set[dt.date] = set()
    first_row = True
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            cell = row[0].strip()
            day = _parse_date(cell)
            if day is not None:
                days.add(day)
            elif not (first_row and not _DATE_LIKE.fullmatch(cell)):  # not a header either
                raise _not_a_date(name, reader.line_num, cell)
            first_row = False
    except csv.Error:
        raise HolidayFileError(f"{name}, line {reader.line_num}: the line cannot be read as CSV "
                               f"(a quote may be left open).") from None
    return days


def _parse_date(cell: str) -> dt.date | None:
    """The date a list's cell holds, or None: ``YYYY-MM-DD``, ``DD/MM/YYYY`` or ``DD.MM.YYYY``
    (slashes and dots day first)."""
    if match := _ISO_DATE.fullmatch(cell):
        year, month, day = match.group(1, 2, 3)
    elif match := _DAY_FIRST_DATE.fullmatch(cell):
        day, month, year = match.group(1, 3, 4)
    else:
        return None
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def _delimiter(text: str) -> str:
    """The list's delimiter (comma, semicolon or tab): the one right after the first date,
    whatever a holiday's name holds ("Reyes, Día de"); else the first on the first line."""
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    for line in lines:
        if match := _DATE_THEN_DELIMITER.match(line):
            return match.group(1)
    return next((ch for ch in lines[0] if ch in ",;\t"), ",") if lines else ","


def _not_a_date(name: str, line: int, cell: str) -> HolidayFileError:
    if not cell:
        return HolidayFileError(f"{name}, line {line}: the first column is empty (it should "
                                f"hold a date).")
    shown = display.clean(cell, SHOWN_CHARS)
    return HolidayFileError(f"{name}, line {line}: “{shown}” is not a date (use YYYY-MM-DD).")


def _calendar_days(text: str, name: str) -> set[dt.date]:
    """Every date the file's events cover: each event's start, the days a multi-day all-day
    event spans, the dates a repeat rule (RRULE) gives for REPEAT_YEARS, and extra dates
    (RDATE), less the dates left out (EXDATE) or moved elsewhere (a RECURRENCE-ID copy).
    Cancelled events (STATUS:CANCELLED) give no dates."""
    events = [event for calendar in _parse_calendars(text, name)
              for event in calendar.walk("VEVENT")]
    moved = _moved_days(events, name)
    guard = _Guard(name)
    days: set[dt.date] = set()
    for event in events:
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        uid = event.get("UID")
        replaced = moved.get(str(uid), []) if uid and "RECURRENCE-ID" not in event else []
        for day in _event_days(event, _event_label(event, name), replaced, guard):
            guard.count_date()
            days.add(day)
        guard.check_clock()
    return days


def _parse_calendars(text: str, name: str) -> list[icalendar.Calendar]:
    if not text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        raise HolidayFileError(f"{name} is not an iCalendar file (it should start with "
                               f"BEGIN:VCALENDAR).")
    damaged = f"{name} is a damaged iCalendar file that cannot be read (export it again)."
    try:
        calendars = icalendar.Calendar.from_ical(text, multiple=True)
    except (ValueError, KeyError, IndexError, TypeError):
        raise HolidayFileError(damaged) from None
    if not calendars or any(calendar.name != "VCALENDAR" for calendar in calendars):
        raise HolidayFileError(damaged)
    return calendars


class _Guard:
    """Stops a file that gives too many dates, or whose repeat rules take too long to work out:
    a rule that never matches (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30) gives no dates to count but
    keeps dateutil searching; ``_far_shift`` bounds each such search, the clock their sum."""

    def __init__(self, name: str):
        self.name = name
        self.count = 0
        self.deadline = time.monotonic() + EXPAND_SECONDS

    def count_date(self) -> None:
        self.count += 1
        if self.count > MAX_DATES:
            raise _too_many(self.name)

    def check_clock(self) -> None:
        if time.monotonic() > self.deadline:
            raise HolidayFileError(f"{self.name} has repeating events that take too long to "
                                   f"work out.")


def _event_label(event: icalendar.Event, name: str) -> str:
    title = display.clean(event.get("SUMMARY", ""), SHOWN_CHARS)
    return f"{name}, event “{title}”" if title else f"{name}, an event without a title"


def _moved_days(events: list[icalendar.Event], name: str) -> dict[str, list[dt.date]]:
    """Per UID, the instances of a repeating event that a RECURRENCE-ID copy moves or cancels
    (as written: the repeating event's time zone tells their dates)."""
    moved: dict[str, list[dt.date]] = {}
    for event in events:
        if "RECURRENCE-ID" in event and event.get("UID"):
            value = _date_value(event, "RECURRENCE-ID", _event_label(event, name))
            moved.setdefault(str(event.get("UID")), []).append(value)
    return moved


def _event_days(event: icalendar.Event, where: str, replaced: list[dt.date],
                guard: _Guard) -> Iterator[dt.date]:
    start = _date_value(event, "DTSTART", where)
    zone = start.tzinfo if isinstance(start, dt.datetime) else None
    span = _span_days(event, start, where)
    left_out = ({_local_day(value, zone) for value in replaced}
                | _listed_days(event, "EXDATE", zone, where))
    firsts = ({_local_day(start, None)} | _listed_days(event, "RDATE", zone, where)
              | set(_repeat_days(event, start, where, guard)))
    for first in sorted(firsts - left_out):
        for offset in range(span):
            yield first + dt.timedelta(days=offset)


_WHAT = {"DTSTART": "the start date is missing or cannot be read",
         "DTEND": "the end date cannot be read", "DURATION": "the duration cannot be read",
         "RECURRENCE-ID": "the date it replaces (RECURRENCE-ID) cannot be read",
         "EXDATE": "the dates left out (EXDATE) cannot be read",
         "RDATE": "the extra dates (RDATE) cannot be read",
         "RRULE": "the repeat rule (RRULE) cannot be read"}


def _unreadable(where: str, key: str) -> HolidayFileError:
    return HolidayFileError(f"{where}: {_WHAT[key]}.")


def _date_value(event: icalendar.Event, key: str, where: str) -> dt.date:
    prop = event.get(key)
    if not isinstance(prop, icalendar.vDDDTypes) or not isinstance(prop.dt, dt.date):
        raise _unreadable(where, key)
    return prop.dt


def _local_day(value: dt.date, zone: dt.tzinfo | None) -> dt.date:
    """The date of ``value`` on its own wall clock, or on ``zone``'s when both have a zone."""
    if not isinstance(value, dt.datetime):
        return value
    return (value.astimezone(zone) if zone and value.tzinfo else value).date()


def _span_days(event: icalendar.Event, start: dt.date, where: str) -> int:
    """How many dates each instance covers: an all-day event's days up to its (exclusive) DTEND,
    or its DURATION in whole days; an event with a time of day counts its start date only."""
    if isinstance(start, dt.datetime):
        return 1
    if "DTEND" in event:
        return max(1, (_local_day(_date_value(event, "DTEND", where), None) - start).days)
    if "DURATION" in event:
        prop = event["DURATION"]
        if not isinstance(prop, icalendar.vDDDTypes) or not isinstance(prop.dt, dt.timedelta):
            raise _unreadable(where, "DURATION")
        return max(1, prop.dt.days)
    return 1


def _listed_days(event: icalendar.Event, key: str, zone: dt.tzinfo | None,
                 where: str) -> set[dt.date]:
    props = event.get(key, [])
    days = set()
    for prop in props if isinstance(props, list) else [props]:
        if not isinstance(prop, icalendar.vDDDLists):
            raise _unreadable(where, key)
        for item in prop.dts:
            value = item.dt[0] if isinstance(item.dt, tuple) else item.dt  # a PERIOD's start
            days.add(_local_day(value, zone))
    return days


def _repeat_days(event: icalendar.Event, start: dt.date, where: str,
                 guard: _Guard) -> Iterator[dt.date]:
    """The dates the event's repeat rules give from its start, for REPEAT_YEARS, worked out on
    DTSTART's own wall clock (without time zones): an instance's date where it happens."""
    rules = event.get("RRULE", [])
    first = _wall_clock(start)
    horizon = _horizon(first.date())
    shift = _far_shift(first.year)
    for recur in rules if isinstance(rules, list) else [rules]:
        rule, count = _rule(recur, start, horizon, shift, where)
        for moment in _occurrences(rule, count, where, guard):
            day = moment.date().replace(year=moment.year - shift)
            if day >= horizon:
                break
            yield day


def _occurrences(rule: rrule, count: int | None, where: str,
                 guard: _Guard) -> Iterator[dt.datetime]:
    """The rule's instances, at most ``count``, watching the clock between them."""
    instances = iter(rule if count is None else itertools.islice(rule, count))
    while True:
        guard.check_clock()
        try:
            moment = next(instances)
        except StopIteration:
            return
        except (ValueError, OverflowError):  # dateutil finds some rules wrong only here
            raise _unreadable(where, "RRULE") from None
        yield moment


def _rule(recur: object, start: dt.date, horizon: dt.date, shift: int,
          where: str) -> tuple[rrule, int | None]:
    """The event's rule for dateutil, moved ``shift`` years, and its COUNT (which the caller
    honours, so that dateutil, given UNTIL up to the horizon, does not warn about both)."""
    if not isinstance(recur, icalendar.vRecur) or not recur.get("FREQ") or set(recur) - _PARTS:
        raise _unreadable(where, "RRULE")
    if str(recur["FREQ"][0]).upper() not in _DAILY_OR_SLOWER:
        raise HolidayFileError(f"{where} repeats more often than once a day, which a holiday "
                               f"does not.")
    parts = icalendar.vRecur({k: v for k, v in recur.items() if k not in ("UNTIL", "COUNT")})
    try:
        if any(int(value) < 1 for value in recur.get("INTERVAL", [])):
            raise ValueError("an INTERVAL below 1 never moves on")
        last = dt.datetime.combine(horizon, dt.time())
        if recur.get("UNTIL"):
            last = min(last, _until(recur["UNTIL"][0], start))
        first = _wall_clock(start)
        rule = rrulestr(parts.to_ical().decode(), dtstart=first.replace(year=first.year + shift))
        rule = rule.replace(until=last.replace(year=last.year + shift))
        count = int(recur["COUNT"][0]) if recur.get("COUNT") else None
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        raise _unreadable(where, "RRULE") from None
    return rule, count


def _wall_clock(value: dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return dt.datetime.combine(value, dt.time())


def _until(until: dt.date, start: dt.date) -> dt.datetime:
    """UNTIL (inclusive) on the start's wall clock; a date counts to its end.

    With an all-day start, a UTC time is what some programs (Outlook among them) write for the
    local midnight of the last date: 20301224T230000Z for 25 December in Madrid. The zone is
    unknown, so the date it is anywhere (up to 14 hours ahead of UTC) counts.
    """
    if not isinstance(until, dt.datetime):
        return dt.datetime.combine(until, dt.time.max)
    if until.tzinfo is None:
        return until
    if not isinstance(start, dt.datetime):
        ahead = until.astimezone(dt.timezone.utc) + dt.timedelta(hours=14)
        return dt.datetime.combine(ahead.date(), dt.time.max)
    if start.tzinfo is not None:
        return until.astimezone(start.tzinfo).replace(tzinfo=None)
    return until.replace(tzinfo=None)


def _horizon(first: dt.date) -> dt.date:
    """The first date after REPEAT_YEARS from ``first`` (the calendar's last, near year 9999)."""
    if first.year > dt.MAXYEAR - REPEAT_YEARS:
        return dt.date.max
    return first + relativedelta(years=REPEAT_YEARS)


def _far_shift(year: int) -> int:
    """Years, a multiple of 400, to move a rule by so that dateutil works it out near year 9999.

    The Gregorian calendar repeats every 400 years (weekdays, leap years, week numbers), so a
    moved rule gives the same dates, moved. dateutil searches for a rule's next date up to year
    9999: near there, a rule that can never match again stops within 400 years, not 8,000.
    """
    return max(0, (dt.MAXYEAR - REPEAT_YEARS - year) // 400 * 400)
