"""Weekly working hours as an admin writes them (``Mon-Fri 08:00-12:00 13:00-17:00``): read
into (day, start minute, end minute) windows and written back the same way; and the one error
every part of a calendar raises (``CalendarError``)."""

from __future__ import annotations

import re
from collections.abc import Iterable

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
EXAMPLE = "such as Mon-Fri 08:00-17:00"
_DAY_NUMBERS = {**{day.lower(): n for n, day in enumerate(DAYS)},
                **{day: n for n, day in enumerate(("monday", "tuesday", "wednesday", "thursday",
                                                    "friday", "saturday", "sunday"))}}
_WINDOW = re.compile(r"(\d{1,2}:\d{2})-(\d{1,2}:\d{2})")
_TIME = re.compile(r"(\d{1,2}):(\d{2})")


class CalendarError(ValueError):
    """A calendar, or a line of one, that cannot be used; the message is one sentence."""


def shown(value: object) -> str:
    """A bad value as one short line, to quote in a message."""
    text = " ".join(str(value).split())
    return text if len(text) <= 40 else text[:39] + "…"


def parse_hours(spec: str) -> list[tuple[int, int, int]]:
    """The (weekday 0=Mon..6=Sun, start minute, end minute) windows of one line of hours,
    such as ``Mon-Fri 08:00-12:00 13:00-17:00``, ``Sat-Mon 09:00-13:00`` or ``Mon,Wed 8:00-24:00``.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise CalendarError(f"“{shown(spec)}” is not a line of working hours (use days and "
                            f"windows, {EXAMPLE}).")
    tokens = [token for token in re.split(r"[\s,]+", re.sub(r"\s*-\s*", "-", spec)) if token]
    day_count = next((n for n, token in enumerate(tokens) if token[0].isdigit()), len(tokens))
    if day_count == 0:
        raise CalendarError(f"“{shown(spec)}” does not start with days ({EXAMPLE}).")
    if day_count == len(tokens):
        raise CalendarError(f"“{shown(spec)}” has no working window (add one such as "
                            "08:00-17:00).")
    days = {day for token in tokens[:day_count] for day in _days(token)}
    windows = [_window(token) for token in tokens[day_count:]]
    return sorted({(day, start, end) for day in days for start, end in windows})


def _days(token: str) -> list[int]:
    """The weekdays of ``Mon``, ``monday`` or a range ``Mon-Fri`` (``Sat-Mon`` wraps)."""
    ends = [_DAY_NUMBERS.get(end.lower()) for end in token.split("-")]
    if len(ends) > 2 or None in ends:
        raise CalendarError(f"“{shown(token)}” is not a day or range of days (use Mon, Tue, "
                            "… Sun, or Mon-Fri).")
    first, last = ends[0], ends[-1]
    return [(first + step) % 7 for step in range((last - first) % 7 + 1)]


def _window(token: str) -> tuple[int, int]:
    match = _WINDOW.fullmatch(token)
    if not match:
        raise CalendarError(f"“{shown(token)}” is not a working window (use HH:MM-HH:MM, "
                            "such as 08:00-17:00).")
    start, end = _minute(match[1]), _minute(match[2])
    if end <= start:
        raise CalendarError(f"“{token}” is not a working window: it must end after it starts "
                            "(use 00:00-24:00 for a whole day).")
    return start, end


def _minute(text: str) -> int:
    """Minutes since midnight of ``HH:MM``; 24:00 is the end of the day."""
    hours, minutes = (int(part) for part in _TIME.fullmatch(text).groups())
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise CalendarError(f"“{text}” is not a time of day (use HH:MM from 00:00 to 24:00).")
    return hours * 60 + minutes


def hours_text(windows: Iterable[tuple[int, int, int]]) -> list[str]:
    """Lines of hours for ``windows`` (the inverse of ``parse_hours``), compact: overlapping
    windows merged, days with the same windows on one line."""
    lines: dict[tuple, list[int]] = {}
    for day, spans in sorted(merged(windows).items()):
        lines.setdefault(spans, []).append(day)
    return [" ".join([_days_text(days), *(_window_text(*span) for span in spans)])
            for spans, days in lines.items()]


def merged(windows: Iterable[tuple[int, int, int]]) -> dict[int, tuple[tuple[int, int], ...]]:
    """Per weekday, its windows sorted with overlapping and touching ones joined."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for day, start, end in sorted(windows):
        day_spans = spans.setdefault(day, [])
        if day_spans and start <= day_spans[-1][1]:
            day_spans[-1] = (day_spans[-1][0], max(end, day_spans[-1][1]))
        else:
            day_spans.append((start, end))
    return {day: tuple(day_spans) for day, day_spans in spans.items()}


def _days_text(days: list[int]) -> str:
    """``Mon-Fri``, ``Sat,Sun``, ``Sat-Mon`` or ``Mon,Wed,Fri``: runs of three days or more
    as ranges, a run over the week's end first."""
    if len(days) == 7:
        return "Mon-Sun"
    runs = []
    for day in days:
        if (day - 1) % 7 not in days:
            length = 1
            while (day + length) % 7 in days:
                length += 1
            runs.append((day + length <= 7, day, length))
    parts = []
    for _, day, length in sorted(runs):
        run = [DAYS[(day + step) % 7] for step in range(length)]
        parts.append(f"{run[0]}-{run[-1]}" if length > 2 else ",".join(run))
    return ",".join(parts)


def _window_text(start: int, end: int) -> str:
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
