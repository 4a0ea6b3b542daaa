"""Hand-offs: whose time it was. Each ticket's open time split between the teams that held it.

A ticket is held by a team from the time its timeline shows that team until the timeline
shows another, and the last one holds it until it is resolved (its resolved date; else
created + resolution hours) or, while pending, until the data's clock. The first team holds
it from created on, so the hours held by all teams add up to the ticket's open time. Tickets
without a timeline (``readmodel.TIMELINE_COLUMNS``) were held by their one team all along.

Timelines come from event-log exports exactly (one row per update, with its time and team)
and from successive snapshot uploads approximately: a team change seen between two uploads
is placed at the later upload's clock. The breach of a ticket whose resolution SLA is
breached is owned by the team that held it when its resolution target passed (created +
the priority's target; when that is unknown or later than the end, the last team).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from sla.analytics.readmodel import Snapshot
from sla.core.filters import Filters
from sla.core.sla_clock import calendar_names, clock_named
from sla.core.teams import team_names, team_of

EMPTY_TEAM = "(empty)"


def handoffs(snapshot: Snapshot, filters: Filters, settings: dict, now: dt.datetime,
             raw: bool = False, working: bool = False) -> dict:
    """Per team (or per raw team name with ``raw``): tickets touched, hours held (total and
    median per ticket), hand-offs in and out, breaches owned; with the keys of
    ``handoffs --json``. With ``working``, hours are working hours of each ticket's calendar
    and a target passes after its working hours."""
    frame = filters.select(snapshot.frame)
    clock = _working_clock(settings) if working else _wall_clock
    tickets = _ticket_spans(frame, settings, now, clock)
    segments = _segments(tickets, snapshot.timeline, settings, raw, clock)
    rows = _team_rows(segments, _breach_owners(tickets, segments), settings, raw)
    timelines = segments.loc[segments["position"] > 0, "tid"].nunique()
    return {"as_of": now, "level": "raw team" if raw else "team",
            "hours": "working" if working else "wall",
            "tickets": int(len(tickets)), "tickets_handed_off": int(timelines),
            "tickets_left_out": int(len(frame) - len(tickets)),
            "approximate": bool(segments["approximate"].any()) if len(segments) else False,
            "hours_open": float(tickets["open_hours"].sum()), "teams": rows,
            "transfers": _transfers(segments)}


def _transfers(segments: pd.DataFrame) -> list[dict]:
    """How often one team (or raw team) handed a ticket to another, and the median hours it
    held the ticket just before: {"from", "to", "handoffs", "median_hours_before"}, most
    hand-offs first."""
    if segments.empty:
        return []
    moves = segments.assign(to=segments.groupby("tid", sort=False)["key"].shift(-1))
    moves = moves[~moves["last"].to_numpy()]
    held = moves.groupby(["key", "to"], sort=False)["hours"]
    table = pd.DataFrame({"handoffs": held.size(), "median": held.median()}).reset_index()
    table = table.sort_values(["handoffs", "key", "to"], ascending=[False, True, True])
    return [{"from": str(row.key), "to": str(row.to), "handoffs": int(row.handoffs),
             "median_hours_before": float(row.median)} for row in table.itertuples()]


def _wall_clock(start: np.ndarray, stop: np.ndarray, calendars: np.ndarray,
                hours: np.ndarray | None = None) -> np.ndarray:
    """Hours between ``start`` and ``stop`` (or, given ``hours``, the time that many hours
    after ``start``) on the wall clock."""
    if hours is not None:
        return start + pd.to_timedelta(hours, unit="h").to_numpy()
    return (stop - start) / np.timedelta64(1, "h")


def _working_clock(settings: dict):
    """Like ``_wall_clock``, on each row's calendar."""
    def measure(start, stop, calendars, hours=None):
        result = np.empty(len(start), dtype="datetime64[ns]" if hours is not None else float)
        for name in pd.unique(calendars):
            chosen = calendars == name
            clock = clock_named(name, settings)
            result[chosen] = (clock.add_hours(start[chosen], hours[chosen]) if hours is not None
                              else clock.hours_between(start[chosen], stop[chosen]))
        return result
    return measure


def _ticket_spans(frame: pd.DataFrame, settings: dict, now: dt.datetime,
                  clock) -> pd.DataFrame:
    """The tickets that can be placed in time: created, end, open hours, breach deadline."""
    created = frame["created"]
    resolved = (frame["status_class"] == "resolved").to_numpy()
    by_hours = created + pd.to_timedelta(frame["resolution_hours"], unit="h")
    end = frame["resolved_at"].where(frame["resolved_at"].notna(), by_hours)
    end = end.where(resolved, pd.Timestamp(now))
    usable = (created.notna() & end.notna()).to_numpy()
    spans = pd.DataFrame({"sr_number": frame["sr_number"].to_numpy(),
                          "created": created.astype("datetime64[ns]").to_numpy(),
                          "end": end.astype("datetime64[ns]").to_numpy(),
                          "team_raw": frame["team_raw"].astype(object).to_numpy(),
                          "breached": (frame["resolution_sla"] == "breached").to_numpy(),
                          "priority": frame["priority"].astype(object).to_numpy(),
                          "calendar": calendar_names(frame["team"], settings)})[usable]
    spans["end"] = spans[["created", "end"]].max(axis=1)
    calendars = spans["calendar"].to_numpy()
    spans["open_hours"] = clock(spans["created"].to_numpy(), spans["end"].to_numpy(), calendars)
    targets = {p: t["resolution"] for p, t in settings["sla_targets"].items()}
    target_hours = spans["priority"].map(targets).astype("float64").to_numpy()
    spans["deadline"] = clock(spans["created"].to_numpy(), None, calendars, target_hours)
    spans = spans.reset_index(drop=True)
    spans["tid"] = np.arange(len(spans))  # whole numbers sort and group far faster than SRs
    return spans


def _segments(tickets: pd.DataFrame, timeline: pd.DataFrame, settings: dict,
              raw: bool, clock) -> pd.DataFrame:
    """One row per (ticket, holder) stretch: tid (the ticket), key, start, hours, position,
    last."""
    found = pd.Index(tickets["sr_number"]).get_indexer(timeline["sr_number"])
    points = timeline[found >= 0].assign(tid=found[found >= 0])
    with_timeline = np.zeros(len(tickets), dtype=bool)
    with_timeline[points["tid"].to_numpy()] = True
    single = tickets[~with_timeline]
    parts = [pd.DataFrame({"tid": single["tid"], "team_raw": single["team_raw"],
                           "start": single["created"], "end": single["end"],
                           "approximate": False})]
    if len(points):
        parts.append(_timeline_points(tickets[with_timeline], points))
    segments = pd.concat([p for p in parts if len(p)] or parts, ignore_index=True)
    segments["key"] = _keys(segments["team_raw"], settings, raw)
    segments = segments.sort_values(["tid", "start"], kind="stable")
    same = ((segments["tid"] == segments["tid"].shift())
            & (segments["key"] == segments["key"].shift()))
    segments = segments[~same.to_numpy()].reset_index(drop=True)
    following = segments.groupby("tid", sort=False)["start"].shift(-1)
    stop = following.where(following.notna(), segments["end"])
    calendars = tickets["calendar"].to_numpy()[segments["tid"].to_numpy()]
    segments["hours"] = clock(segments["start"].to_numpy(dtype="datetime64[ns]"),
                              stop.to_numpy(dtype="datetime64[ns]"), calendars)
    segments["position"] = segments.groupby("tid", sort=False).cumcount()
    segments["last"] = following.isna().to_numpy()
    return segments


def _timeline_points(tickets: pd.DataFrame, points: pd.DataFrame) -> pd.DataFrame:
    """Timeline points inside each ticket's span: the first moved to created (the first team
    held it from the start), those at or after the end dropped."""
    joined = points.drop(columns="sr_number").astype(
        {"team_raw": object, "at": "datetime64[ns]"}).merge(
        tickets[["tid", "created", "end"]], on="tid")
    joined = joined.sort_values(["tid", "at"], kind="stable")
    start = joined["at"].clip(lower=joined["created"])
    joined = joined.assign(start=start.where(start.notna(), joined["created"]))
    at_created = joined["start"] <= joined["created"]
    later_same_start = at_created & (joined["tid"] == joined["tid"].shift(-1)) \
        & (joined["start"].shift(-1) <= joined["created"])
    joined = joined[~later_same_start.to_numpy()]
    first = (joined["tid"] != joined["tid"].shift()).to_numpy()
    joined.loc[first, "start"] = joined.loc[first, "created"]
    joined = joined[first | (joined["start"] < joined["end"]).to_numpy()]
    return pd.DataFrame({"tid": joined["tid"], "team_raw": joined["team_raw"],
                         "start": joined["start"], "end": joined["end"],
                         "approximate": ~joined["exact"].astype(bool)})


def _keys(team_raw: pd.Series, settings: dict, raw: bool) -> pd.Series:
    """What a stretch is grouped by: the raw team name, or the team its rules give."""
    names = team_raw.astype(object).where(team_raw.notna(), None)
    if raw:
        return names.fillna(EMPTY_TEAM).astype(str)
    teams = {name: team_of(name, settings["team_rules"])
             for name in pd.unique(names.to_numpy(dtype=object))}
    return names.map(lambda name: teams[name])


def _breach_owners(tickets: pd.DataFrame, segments: pd.DataFrame) -> pd.Series:
    """The key of the stretch holding each breached ticket when its target passed."""
    breached = tickets[tickets["breached"].to_numpy()]
    if breached.empty:
        return pd.Series(dtype=object)
    moment = breached["deadline"].where(breached["deadline"] < breached["end"], breached["end"])
    left = pd.DataFrame({"tid": breached["tid"], "moment": moment}) \
        .sort_values("moment", kind="stable")
    right = segments[["tid", "start", "key"]].sort_values("start", kind="stable")
    owners = pd.merge_asof(left, right, left_on="moment", right_on="start", by="tid",
                           direction="backward")
    return owners["key"].value_counts()


def _team_rows(segments: pd.DataFrame, owners: pd.Series, settings: dict,
               raw: bool) -> list[dict]:
    if segments.empty:
        return []
    per_ticket = segments.groupby(["key", "tid"], sort=False)["hours"].sum()
    medians = per_ticket.groupby(level=0).median()
    groups = segments.groupby("key", sort=False)
    table = pd.DataFrame({"tickets": per_ticket.groupby(level=0).size(),
                          "hours_held": groups["hours"].sum(), "median_hours_held": medians,
                          "handoffs_in": groups["position"].agg(lambda p: int((p > 0).sum())),
                          "handoffs_out": groups["last"].agg(lambda x: int((~x).sum()))})
    rows = []
    for key, row in table.iterrows():
        entry = {"team_raw": key, "team": team_of(
            None if key == EMPTY_TEAM else key, settings["team_rules"])} if raw else {"team": key}
        entry.update({"tickets": int(row["tickets"]), "hours_held": float(row["hours_held"]),
                      "median_hours_held": float(row["median_hours_held"]),
                      "handoffs_in": int(row["handoffs_in"]),
                      "handoffs_out": int(row["handoffs_out"]),
                      "breaches_owned": int(owners.get(key, 0))})
        rows.append(entry)
    order = {team: i for i, team in enumerate(team_names(settings))}
    return sorted(rows, key=lambda r: _order(r, raw, order))


def _order(row: dict, raw: bool, order: dict[str, int]):
    """Raw teams by hours held, most first; teams in the desk's order."""
    if raw:
        return (-row["hours_held"], row["team_raw"])
    return (order.get(row["team"], len(order)), str(row["team"]))
