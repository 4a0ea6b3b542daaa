"""An event-log export: several rows per ticket, each a moment of its history, give each
ticket's team timeline (the times its raw team changed)."""

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
    """Each ticket's team timeline from an event-log export's rows: the times its raw team
    changed, oldest first, as [{"at", "team_raw", "exact": True}]; only tickets whose rows
    show more than one team (one team all along needs no timeline)."""
    team_header, time_header = table.mapping.get("team_raw"), event_time_header(table)
    if team_header is None or time_header is None:
        return {}
    at, _, _ = parse_date_column(table.frame[time_header], date_order(table.frame[time_header]))
    events = pd.DataFrame({"sr": sr, "at": at,
                           "team": [clean_text(v) for v in table.frame[team_header].to_numpy()]})
    events = events[events["sr"].notna() & events["at"].notna()]
    events = events.sort_values(["sr", "at"], kind="stable")
    team = events["team"].fillna("\0")
    starts = (events["sr"] != events["sr"].shift()) | (team != team.shift())
    events = events[starts.to_numpy()]
    several = events["sr"].duplicated(keep=False).to_numpy()
    timelines: dict[str, list[dict]] = {}
    for sr_number, at_value, team_raw in events[several].itertuples(index=False):
        timelines.setdefault(sr_number, []).append(
            {"at": at_value.to_pydatetime(), "team_raw": team_raw, "exact": True})
    return timelines
