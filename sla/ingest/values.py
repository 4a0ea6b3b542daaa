"""A cell's value as its field reads it (contract sections 3 and 4): text, SR numbers,
met / breached words, durations, time left against a goal, dates.

What the file says is interpreted here and never depends on settings, so the stored "file
values" stay the same when rules change. A cell that cannot be read as its field's type is a
BadValue (a duration) or a bad cell in a parsed date column.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from functools import lru_cache

import pandas as pd

from sla.core import fields

EXCEL_EPOCH = dt.datetime(1899, 12, 30)


# ---------------------------------------------------------------- text values

def clean_text(value: object) -> str | None:
    """Trimmed text, or None for the contract's empty words. Whole floats lose their ``.0``."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            value = int(value)
    elif isinstance(value, bool):
        value = str(value).lower()
    elif isinstance(value, (dt.datetime, dt.date, dt.time)):
        value = value.isoformat()
    text = " ".join(str(value).split())
    return None if text.lower() in fields.EMPTY_WORDS else text


def clean_sr_number(value: object) -> str | None:
    text = clean_text(value)
    if text is not None and re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    return text


# ---------------------------------------------------------------- SLA words

def sla_word(raw: str | None) -> str | None:
    """met / breached for the contract's words; None for empty or unrecognised values."""
    if raw is None:
        return None
    lower = raw.strip().lower()
    if lower in fields.SLA_MET_WORDS:
        return "met"
    if lower in fields.SLA_BREACHED_WORDS:
        return "breached"
    return None


# ---------------------------------------------------------------- durations

_CLOCK = re.compile(r"(?:(\d+)\s*days?,?\s+)?(\d+):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?")
_UNIT_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b")
_UNIT_TEXT = re.compile(r"(?:\d+(?:\.\d+)?\s*(?:days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b[\s,]*)+")
_UNIT_LETTER_HOURS = {"d": 24.0, "h": 1.0, "m": 1 / 60, "s": 1 / 3600}


class BadValue(ValueError):
    """A cell that cannot be read as its field's type."""


def parse_duration(value: object, unit: str | None = None) -> float | None:
    """Hours in a duration cell (section 3). None for empty; BadValue for junk, negatives, or a
    clock whose minutes or seconds go past 59 (the contract reads hh:mm)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        raise BadValue(value)
    if isinstance(value, dt.timedelta):
        hours = value.total_seconds() / 3600
    elif isinstance(value, dt.time):
        hours = value.hour + value.minute / 60 + (value.second + value.microsecond / 1e6) / 3600
    elif isinstance(value, dt.datetime):  # a duration of a day or more Excel shows as a date
        hours = _excel_serial(value) * 24
    elif isinstance(value, (int, float)):
        hours = _bare_number_hours(float(value), unit)
    else:
        text = " ".join(str(value).split()).lower()
        if text in fields.EMPTY_WORDS:
            return None
        hours = _duration_text_hours(text, unit)
    if hours < 0 or math.isnan(hours):
        raise BadValue(value)
    return hours



def remaining_hours(value: object) -> float | None:
    """Signed hours in a cell of time left against a goal (Jira's ``2h 30m``, ``-1h 5m``):
    negative when the goal was missed. None for empty; BadValue for anything else."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = " ".join(str(value).split()).lower()
    if text in fields.EMPTY_WORDS:
        return None
    if re.fullmatch(r"[+-]?\d+(?:\.\d+)?", text):  # a bare number says nothing of its unit
        raise BadValue(value)
    return _duration_text_hours(text, None)


def remaining_outcome(raw: str | None, status_class_: str) -> str | None:
    """met / breached from the time left: breached once it is negative, met when a resolved
    ticket had time left; an open ticket with time left has no outcome yet (its clock runs)."""
    try:
        hours = remaining_hours(raw)
    except BadValue:
        return None
    if hours is None:
        return None
    if hours < 0:
        return "breached"
    return "met" if status_class_ == "resolved" else None


def without_thousands(value: object) -> object:
    """``102,197`` as ``102197``: a tool's display of a whole number of seconds."""
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,3}(?:,\d{3})+\s*", value):
        return value.replace(",", "")
    return value


def _bare_number_hours(number: float, unit: str | None) -> float:
    if unit in fields.UNIT_HOURS:
        return number * fields.UNIT_HOURS[unit]
    return number * 24  # an Excel duration in days


@lru_cache(maxsize=65536)
def _duration_text_hours(text: str, unit: str | None) -> float:
    try:
        return _bare_number_hours(float(text), unit)
    except ValueError:
        pass
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-").strip()
    clock = _CLOCK.fullmatch(body)
    if clock:
        days, hours, minutes, seconds = clock.groups()
        if int(minutes) > 59 or float(seconds or 0) >= 60:  # "12:75" is no hh:mm duration
            raise BadValue(text)
        return sign * (int(days or 0) * 24 + int(hours) + int(minutes) / 60
                       + float(seconds or 0) / 3600)
    if _UNIT_TEXT.fullmatch(body):
        total = 0.0
        for number, word in _UNIT_PART.findall(body):
            total += float(number) * _UNIT_LETTER_HOURS[word[0]]
        return sign * total
    raise BadValue(text)


def _excel_serial(value: dt.datetime) -> float:
    """Days since Excel's epoch (serials below 60 sit before Excel's phantom 29 Feb 1900)."""
    epoch = dt.datetime(1899, 12, 31) if value < dt.datetime(1900, 3, 1) else EXCEL_EPOCH
    return (value - epoch).total_seconds() / 86400


# ---------------------------------------------------------------- dates

_ISO = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}(?:[ T].*)?$")
_NUMERIC_DATE = re.compile(
    r"^(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<y>\d{4}|\d{2})"
    r"(?:[ T,]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?\s*(?P<ampm>[aApP][mM])?)?$")


def date_order(values: pd.Series) -> str:
    """The column's day/month order (section 4), from its numeric dates like 3/4/2026."""
    texts = values[values.map(lambda v: isinstance(v, str))].str.strip()
    numeric = texts.str.extract(_NUMERIC_DATE)
    numeric = numeric[numeric["a"].notna()]
    if len(numeric):
        return _date_order(numeric)
    return "excel" if (values.notna() & ~values.map(lambda v: isinstance(v, str))).any() else "iso"


def parse_date_column(values: pd.Series, order: str | None = None,
                      formats: tuple[str, ...] = ()) -> tuple[pd.Series, str, pd.Series]:
    """Parse one date column. Returns (datetimes or NaT, the order used, a mask of bad cells).

    ``order`` is the column's order when ``values`` is a part of it (see ``date_order``);
    ``formats`` (a preset's, as for ``strptime``) are tried on text cells before the rest.
    """
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    is_text = values.map(lambda v: isinstance(v, str))
    texts = values[is_text].str.strip()
    blank = texts.str.lower().isin(fields.EMPTY_WORDS)
    texts = texts[~blank]
    for date_format in formats:
        exact = pd.to_datetime(texts, format=date_format, errors="coerce")
        hit = exact.notna()
        result[texts.index[hit]] = exact[hit]
        texts = texts[~hit]
    cells = values[values.notna() & ~is_text]
    order = order or ("excel" if len(cells) else "iso")
    if len(cells):
        result[cells.index] = pd.to_datetime(cells.map(_date_from_cell), errors="coerce")
    numeric = texts.str.extract(_NUMERIC_DATE)
    is_numeric = numeric["a"].notna()
    if is_numeric.any():
        if order in ("excel", "iso"):
            order = _date_order(numeric[is_numeric])
        result[numeric.index[is_numeric]] = _assemble(numeric[is_numeric], order)
    rest = texts[~is_numeric]
    is_iso = rest.str.match(_ISO)
    if is_iso.any():
        iso = pd.to_datetime(rest[is_iso], format="ISO8601", errors="coerce", utc=True)
        result[iso.index] = iso.dt.tz_convert(None)
    other = rest[~is_iso]
    if len(other):
        dayfirst = order != "month-first"
        result[other.index] = pd.to_datetime(other.map(lambda t: _parse_free_date(t, dayfirst)))
    bad = values.notna() & result.isna()
    bad[blank.index[blank]] = False
    return result, order, bad


def _date_from_cell(value: object):
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 20000 < value < 80000:
        return EXCEL_EPOCH + dt.timedelta(days=float(value))
    return pd.NaT


def _date_order(parts: pd.DataFrame) -> str:
    """Section 4: day-first when any first part > 12, month-first when any second part > 12."""
    first = parts["a"].astype(int)
    second = parts["b"].astype(int)
    if (first > 12).any():
        return "day-first"
    if (second > 12).any():
        return "month-first"
    return "undetermined (read day-first)"


def _assemble(parts: pd.DataFrame, order: str) -> pd.Series:
    day, month = (parts["b"], parts["a"]) if order == "month-first" else (parts["a"], parts["b"])
    year = parts["y"].astype(int)
    year = year.where(year >= 100, year + 2000)
    hour = _whole_numbers(parts["H"])
    ampm = parts["ampm"].fillna("").str.lower()
    hour = hour.where(~((ampm == "pm") & (hour < 12)), hour + 12)
    hour = hour.where(~((ampm == "am") & (hour == 12)), 0)
    frame = pd.DataFrame({"year": year, "month": month.astype(int), "day": day.astype(int),
                          "hour": hour, "minute": _whole_numbers(parts["M"]),
                          "second": _whole_numbers(parts["S"])})
    return pd.to_datetime(frame, errors="coerce").astype("datetime64[us]")


def _whole_numbers(texts: pd.Series) -> pd.Series:
    """Digits as integers, 0 where the part is absent."""
    return pd.to_numeric(texts).fillna(0).astype(int)


def _parse_free_date(text: str, dayfirst: bool):
    try:
        stamp = pd.to_datetime(text, dayfirst=dayfirst)
    except (ValueError, OverflowError, TypeError):
        return pd.NaT
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(None)
    return stamp
