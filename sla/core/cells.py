"""Cells as the file shows them: the text of each value for a preview or a report."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def preview_text(frame: pd.DataFrame, durations: set[str] | frozenset[str] = frozenset()
                 ) -> pd.DataFrame:
    """``frame`` with every cell as the text the file shows: durations as Excel's
    ``[h]:mm:ss`` (``1:05``, ``129:45``), dates as ``YYYY-MM-DD HH:MM``, whole numbers
    without ``.0``, empty cells empty. ``durations`` names the columns read as durations,
    where a date is Excel's way of holding a duration of a day or more."""
    return pd.DataFrame({header: [cell_text(value, header in durations)
                                  for value in frame[header].to_numpy(dtype=object)]
                         for header in frame.columns}, columns=frame.columns, dtype=object)


def cell_text(value: object, duration: bool = False) -> str:
    """One cell as the file shows it ("" for an empty one, never "None" or "NaN")."""
    if _is_empty(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.timedelta):
        return clock(value.total_seconds())
    if isinstance(value, dt.time):
        return clock(value.hour * 3600 + value.minute * 60 + value.second
                     + value.microsecond / 1e6)
    if isinstance(value, dt.datetime):
        if duration:
            return clock((value.replace(tzinfo=None) - _EXCEL_EPOCH).total_seconds())
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.15g}"
    return str(value)


def _is_empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def clock(seconds: float) -> str:
    """A duration as Excel's ``[h]:mm:ss`` shows it: hours past 24, seconds only when any."""
    sign = "-" if seconds < 0 else ""
    total = round(abs(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}" + (f":{secs:02d}" if secs else "")
