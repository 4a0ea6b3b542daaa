"""The filtered tickets as a table and as CSV (the app's download and ``python -m sla export``).

CSV cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
tab or carriage return, or their full-width forms) get a leading ``'`` so a malicious export
cannot run formulas on the manager's machine; so does a trigger that follows a ``,`` or ``;``
inside a cell (a spreadsheet set to split on that character would start a new cell there).
Bidirectional control characters, which can make a cell read differently from what it holds,
are removed. Headers are the fields' display names (``display.FIELD_LABELS``) and
numbers with decimals are rounded to 2 (hours to the minute's precision, percentages).
"""

from __future__ import annotations

import re

import pandas as pd

from sla.analytics.readmodel import Snapshot
from sla.core.display import FIELD_LABELS, strip_bidi
from sla.core.filters import Filters

COLUMNS = ["sr_number", "status", "status_class", "priority", "category", "created",
           "resolved_at", "resolved_by", "owner", "team", "team_raw", "response_hours",
           "resolution_hours", "response_sla", "resolution_sla"]
DATE_AND_NUMBER_COLUMNS = ("created", "resolved_at", "response_hours", "resolution_hours")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_TRIGGER_AFTER_SEPARATOR = re.compile("([,;] *)([=+\\-@\uff1d\uff0b\uff0d\uff20])")
DECIMALS = 2


def tickets_frame(snapshot: Snapshot, filters: Filters = Filters(), limit: int = 0,
                  columns: list[str] = COLUMNS) -> pd.DataFrame:
    """The filtered tickets, newest created first (no date last), from the read model."""
    frame = filters.select(snapshot.frame)
    order = frame.sort_values(["created", "sr_number"], ascending=[False, True],
                              na_position="last")
    if limit:
        order = order.head(limit)
    result = order[columns].reset_index(drop=True)
    for name in columns:  # text as plain Python strings and None, as the CSV writer wants
        if name not in DATE_AND_NUMBER_COLUMNS:
            result[name] = result[name].astype(object).where(result[name].notna(), None)
    return result


def neutralise(value: object) -> object:
    """A text cell no spreadsheet runs as a formula and no reader sees reordered."""
    if not isinstance(value, str):
        return value
    text = _TRIGGER_AFTER_SEPARATOR.sub(r"\1'\2", strip_bidi(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM so Excel reads accents) with display-name headers, formula-like
    text cells neutralised and decimals rounded to 2."""
    safe = frame.copy()
    for name in safe.columns:
        if safe[name].dtype == object or pd.api.types.is_string_dtype(safe[name]):
            safe[name] = safe[name].map(neutralise)
        elif pd.api.types.is_float_dtype(safe[name]):
            safe[name] = safe[name].round(DECIMALS)
    safe = safe.rename(columns=lambda name: FIELD_LABELS.get(name, name))
    # CRLF rows: the csv module then also quotes cells holding a bare CR, which readers
    # would otherwise take for a row break.
    return safe.to_csv(index=False, date_format="%Y-%m-%d %H:%M:%S",
                       lineterminator="\r\n").encode("utf-8-sig")
