"""What a ticket holds as the file said it, in a form MongoDB stores: the file's fields and
their hash (an equal hash means an unchanged ticket), header names as field names, and plain
values."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math

import pandas as pd

FILE_FIELDS = ("sr_number", "status", "priority_raw", "category", "created", "resolved_at",
               "resolved_by", "owner", "team_raw", "response_hours", "resolution_hours",
               "response_sla_raw", "resolution_sla_raw", "response_sla_in_file",
               "resolution_sla_in_file", "extra", "preset", "resolution_hours_from")
# Counted in the hash only when set, so the tickets of older imports keep their hashes.
HASHED_WHEN_SET = ("preset", "resolution_hours_from", "owner")


def content_hash(ticket: dict) -> str:
    """A hash of what the file says about a ticket: equal hashes mean an unchanged ticket.

    ``preset`` counts only when set, so tickets of files no preset reads keep their hashes;
    likewise ``resolution_hours_from`` (set when the resolution hours come from the dates)."""
    payload = {k: ticket.get(k) for k in FILE_FIELDS}
    for name in HASHED_WHEN_SET:
        if payload[name] is None:
            del payload[name]
    text = json.dumps(payload, sort_keys=True, default=_json_default, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _json_default(value: object) -> str:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def escape_key(key: str) -> str:
    """A header as a MongoDB field name: '.' and a leading '$' become full-width look-alikes."""
    key = str(key).replace(".", "\uff0e")
    return "\uff04" + key[1:] if key.startswith("$") else key


def unescape_key(key: str) -> str:
    key = key.replace("\uff0e", ".")
    return "$" + key[1:] if key.startswith("\uff04") else key


def plain(value: object) -> object:
    """A value MongoDB stores as is (no numpy scalars, NaN, or bare times)."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 3600
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, int) and abs(value) >= 2 ** 63:
        return str(value)
    return value
