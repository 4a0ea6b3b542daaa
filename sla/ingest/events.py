"""An event-log export: several rows per ticket, each a moment of its history, give each
ticket's timeline (the times its raw team or its status changed)."""

from __future__ import annotations

import pandas as pd

from sla.core import fields
from sla.ingest.table import RawTable
from sla.ingest.values import clean_text, date_order, parse_date_column


def event_time_header(table: RawTable) -> str | None:
    """The column giving each row's time in an event-log export, if the file has one."""
    for synonym in fields.EVENT_TIME_HEADERS:
        wanted = fields.header_key(synonym)
        for header in table.headers:
            if fields.header_key(header) == wanted:
                return header
    return None


def event_timelines(table: RawTable, sr: pd.Series) -> dict[str, list[dict]]:
    """Each ticket's timeline from an event-log export's rows: the times its raw team or its
    status changed, oldest first (rows by their update time, file order on ties), as
    [{"at", "team_raw", "status", "exact": True}]; only tickets whose rows show more than one
    team or status (one of each all along needs no timeline)."""
    time_header = event_time_header(table)
    team_header, status_header = table.mapping.get("team_raw"), table.mapping.get("status")
    if time_header is None or (team_header is None and status_header is None):
        return {}
    at, _, _ = parse_date_column(table.frame[time_header], date_order(table.frame[time_header]))
    events = pd.DataFrame({"sr": sr, "at": at, "team": _texts(table, team_header),
                           "status": _statuses(table, status_header)})
    events = events[events["sr"].notna() & events["at"].notna()]
    events = events.sort_values(["sr", "at"], kind="stable")
    starts = events["sr"] != events["sr"].shift()
    for name in ("team", "status"):
        values = events[name].fillna("\0")
        starts |= values != values.shift()
    events = events[starts.to_numpy()]
    several = events["sr"].duplicated(keep=False).to_numpy()
    timelines: dict[str, list[dict]] = {}
    for sr_number, at_value, team_raw, status in events[several].itertuples(index=False):
        timelines.setdefault(sr_number, []).append(
            {"at": at_value.to_pydatetime(), "team_raw": team_raw, "status": status,
             "exact": True})
    return timelines


def _texts(table: RawTable, header: str | None) -> list:
    if header is None:
        return [None] * len(table.frame)
    return [clean_text(v) for v in table.frame[header].to_numpy()]


def _statuses(table: RawTable, header: str | None) -> list:
    """The status of each row, a preset's codes (ServiceNow's 1-8) as their words."""
    statuses = _texts(table, header)
    if table.preset is not None and table.preset.status_codes:
        codes = table.preset.status_codes
        statuses = [codes.get(value, value) for value in statuses]
    return statuses
