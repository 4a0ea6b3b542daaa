"""The filtered tickets as a table and as CSV (the app's download and ``python -m sla export``).

CSV cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
tab or carriage return) get a leading ``'`` so a malicious export cannot run formulas on the
manager's machine.
"""

from __future__ import annotations

import pandas as pd
from pymongo.database import Database

from sla.metrics import Filters

COLUMNS = ["sr_number", "status", "status_class", "priority", "category", "created",
           "resolved_at", "resolved_by", "team", "team_raw", "response_hours",
           "resolution_hours", "response_sla", "resolution_sla"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def tickets_frame(db: Database, filters: Filters = Filters(), limit: int = 0,
                  columns: list[str] = COLUMNS) -> pd.DataFrame:
    """The filtered tickets, newest created first, in the export's columns."""
    cursor = (db.tickets.find(filters.match(), {"_id": 0, **{c: 1 for c in columns}})
              .sort([("created", -1), ("_id", 1)]).limit(limit))
    frame = pd.DataFrame(list(cursor), columns=columns)
    for name in ("created", "resolved_at"):
        frame[name] = pd.to_datetime(frame[name])
    return frame


def neutralise(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM so Excel reads accents), formula-like text cells neutralised."""
    safe = frame.copy()
    for name in safe.columns:
        if safe[name].dtype == object or pd.api.types.is_string_dtype(safe[name]):
            safe[name] = safe[name].map(neutralise)
    # CRLF rows: the csv module then also quotes cells holding a bare CR, which readers
    # would otherwise take for a row break.
    return safe.to_csv(index=False, date_format="%Y-%m-%d %H:%M:%S",
                       lineterminator="\r\n").encode("utf-8-sig")
