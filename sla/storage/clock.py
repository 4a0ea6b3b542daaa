"""The time stamps the store writes: UTC, naive (as BSON gives them back), whole seconds."""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
