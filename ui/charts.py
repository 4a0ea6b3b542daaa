"""Altair charts: plain functions taking metric rows and returning ``alt.Chart``.

One colour meaning everywhere: met is blue and breached is orange (Okabe-Ito, safe for the
common colour-blindnesses and readable on light and dark backgrounds); pending is a neutral
grey-violet. Every figure a manager needs is written on the chart (value labels, axis and
legend titles in words); tooltips only repeat it with the counts behind each percentage.
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd

from sla.core import display

MET = "#0072B2"
BREACHED = "#E69F00"
PENDING = "#8E7CC3"
RESOLVED = "#56B4E9"
RESPONSE = "#0072B2"
RESOLUTION = "#009E73"
VOLUME = "#A0A0A0"
OUTCOME_SCALE = alt.Scale(domain=["Met", "Breached"], range=[MET, BREACHED])
KIND_COLOURS = {"Response SLA": RESPONSE, "Resolution SLA": RESOLUTION}
STATUS_SCALE = alt.Scale(domain=["Resolved", "Pending"], range=[RESOLVED, PENDING])
KINDS = ("response", "resolution")
HEIGHT = 260
TREND_PCT_HEIGHT = 200
TREND_VOLUME_HEIGHT = 110
AXIS_EXTENT = 44  # y-axis width in px, the same in the trend and volume charts
# Fill the width, keep the plot's own height: Streamlit's default ("fit") would squeeze the
# legends and axes into the height, leaving the trend's plot a few pixels tall.
FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")
FADED = 0.3
PERIOD_TITLES = {"week": ("Week", "Week starting (Monday)"), "month": ("Month", "Month")}
COUNT_AXIS = {"format": ",d", "tickMinStep": 1}
PCT_SCALE = alt.Scale(domain=[0, 100])


def _empty(message: str = "No tickets match the filters") -> alt.Chart:
    return (alt.Chart(pd.DataFrame({"text": [message]})).mark_text(size=14, color="gray")
            .encode(text="text:N").properties(height=80))


def _pct(value: float | None) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:,.1f} %"


def _count_axis(title: str, top: int, **axis) -> dict:
    """A count axis: whole numbers only, at least 0..2 so a top of 1 gets no 0.5 tick (Vega
    would label it "1" a second time)."""
    scale = alt.Scale(domainMax=2) if top < 2 else alt.Undefined
    return {"title": title, "scale": scale, "axis": alt.Axis(**COUNT_AXIS, **axis)}


def _count(field: str, title: str) -> alt.Tooltip:
    return alt.Tooltip(f"{field}:Q", title=title, format=",d")


def render_pending_by_team_chart(pending: dict[str, int]) -> alt.Chart:
    """Pending tickets per team, the count written at each bar's end."""
    if not any(pending.values()):
        return _empty("Nothing pending")
    frame = pd.DataFrame({"team": list(pending), "pending": list(pending.values())})
    base = alt.Chart(frame).encode(
        x=alt.X("pending:Q", **_count_axis("Pending tickets", max(pending.values()))),
        y=alt.Y("team:N", sort=list(pending), title=None),
        tooltip=[alt.Tooltip("team:N", title="Team"), _count("pending", "Pending tickets")])
    bars = base.mark_bar(color=PENDING, cornerRadiusEnd=3)
    labels = base.mark_text(align="left", dx=4).encode(text=alt.Text("pending:Q", format=",d"))
    return alt.layer(bars, labels).properties(height=HEIGHT)


def _outcomes(rows: list[dict], key: str) -> pd.DataFrame:
    """Long table of met / breached counts per ``key`` and SLA kind; a kind no group has an
    outcome for (a file without response data) is left out rather than drawn empty."""
    kinds = [kind for kind in KINDS
             if any(row[f"{kind}_met"] + row[f"{kind}_breached"] for row in rows)] or list(KINDS)
    records = []
    for row in rows:
        for kind in kinds:
            met, breached = row[f"{kind}_met"], row[f"{kind}_breached"]
            total = met + breached
            label = f"{_pct(row[f'{kind}_sla_pct'])} met" if total else "No outcome yet"
            for outcome, count in (("Met", met), ("Breached", breached)):
                records.append({key: row[key], "kind": kind.title(), "outcome": outcome,
                                "tickets": count, "outcomes": total,
                                "share": 100 * count / total if total else 0.0,
                                "met_pct": row[f"{kind}_sla_pct"], "met_label": label})
    return pd.DataFrame(records)


def render_sla_by_group_chart(rows: list[dict], key: str,
                              order: list[str] | None = None) -> alt.Chart:
    """Stacked 100 % bars of met / breached per group, one panel each for response and
    resolution, the met % written beside each bar."""
    if not rows:
        return _empty()
    group = key.replace("_", " ").capitalize()
    tooltip = [alt.Tooltip(f"{key}:N", title=group), alt.Tooltip("kind:N", title="SLA"),
               alt.Tooltip("outcome:N", title="Outcome"), _count("tickets", "Tickets"),
               _count("outcomes", "Tickets with an outcome"),
               alt.Tooltip("met_pct:Q", title="Met %", format=",.1f")]
    y = alt.Y(f"{key}:N", sort=order, title=None)
    bars = alt.Chart().mark_bar().encode(
        x=alt.X("share:Q", title="% of tickets with an outcome", scale=PCT_SCALE),
        y=y, color=alt.Color("outcome:N", scale=OUTCOME_SCALE, title="SLA",
                             legend=alt.Legend(orient="bottom")),
        order=alt.Order("outcome:N", sort="descending"), tooltip=tooltip)
    labels = (alt.Chart().mark_text(align="left", dx=4)
              .encode(x=alt.datum(100), y=y, text="met_label:N", tooltip=tooltip)
              .transform_filter(alt.datum.outcome == "Met"))
    header = alt.Header(labelAngle=0, labelAlign="left", labelOrient="top",
                        labelFontWeight="bold", labelExpr="datum.value + ' SLA'")
    return (alt.layer(bars, labels, data=_outcomes(rows, key))
            .properties(height=alt.Step(20), width=220)
            .facet(row=alt.Row("kind:N", sort=["Response", "Resolution"], title=None,
                               header=header)))


def _next_start(start: dt.date, period: str) -> dt.date:
    if period == "week":
        return start + dt.timedelta(days=7)
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _period_label(start: dt.date, period: str) -> str:
    if period == "week":
        iso = start.isocalendar()
        return f"{iso[0]}-W{iso[1]:02d}"
    return f"{start:%Y-%m}"


def _periods(rows: list[dict], period: str) -> list[dict]:
    """The rows oldest first, with an empty row for every period between them that has none
    (so one band is one period of time)."""
    given = {pd.Timestamp(r["start"]).date(): r for r in rows}
    start, last = min(given), max(given)
    while start < last:
        start = _next_start(start, period)
        given.setdefault(start, {"start": start, "label": _period_label(start, period),
                                 "tickets": 0, **{f"{k}_{o}": 0 for k in KINDS
                                                  for o in ("met", "breached")},
                                 **{f"{k}_sla_pct": None for k in KINDS}})
    return [{**given[s], "start": s} for s in sorted(given)]


def _sample_names(min_sample: int) -> list[str]:
    return [f"{min_sample:,}+ tickets with an outcome",
            f"Under {min_sample:,} tickets with an outcome (faded)"]


def _trend_frames(rows: list[dict], period: str,
                  min_sample: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per period (bars, from its start to the next period's) and one per period and
    SLA (lines: ``pct`` missing where the period has no outcome, so the line breaks there;
    points only where it has one). Times are ISO days on a UTC scale, so no browser's time
    zone moves a period to the day before."""
    wide, long = [], []
    for row in _periods(rows, period):
        start = row["start"]
        end = _next_start(start, period)
        common = {"start": start.isoformat(), "end": end.isoformat(),
                  "middle": (start + (end - start) / 2).isoformat(), "label": row["label"],
                  "starts": f"{start:%a} {start.day} {start:%b %Y}",
                  "tickets": int(row["tickets"])}
        points = []
        for kind in KINDS:
            met, pct = row[f"{kind}_met"], row[f"{kind}_sla_pct"]
            total = met + row[f"{kind}_breached"]
            common[kind] = f"{met:,} of {total:,} met ({_pct(pct)})" if total else "No outcome yet"
            shown = bool(total) and pct is not None
            points.append({"kind": f"{kind.title()} SLA", "pct": pct if shown else None,
                           "sample": _sample_names(min_sample)[total < min_sample] if shown
                           else None})
        wide.append(common)
        long += [{**common, **point} for point in points]
    return pd.DataFrame(wide), pd.DataFrame(long, columns=[*wide[0], "kind", "pct", "sample"])


def _trend_tooltip(period: str) -> list:
    return [alt.Tooltip("label:N", title=PERIOD_TITLES[period][0]),
            alt.Tooltip("starts:N", title="Starts"), _count("tickets", "Tickets created"),
            alt.Tooltip("response:N", title="Response SLA"),
            alt.Tooltip("resolution:N", title="Resolution SLA")]


def _time_axis(wide: pd.DataFrame, period: str, field: str) -> alt.X:
    """Time, from the first period's start to the last one's end: the same scale in the trend
    and volume charts (whose y axes keep one width), so the two line up, and a stretch of
    time without tickets takes the room it lasted."""
    return alt.X(f"{field}:T", title=PERIOD_TITLES[period][1],
                 scale=alt.Scale(type="utc", domain=[wide["start"].iloc[0], wide["end"].iloc[-1]]),
                 axis=alt.Axis(labelAngle=0, labelOverlap=True, labelSeparation=6,
                               format="%-d %b %y" if period == "week" else "%b %Y"))


def _check_period(period: str) -> None:
    if period not in PERIOD_TITLES:
        raise ValueError(f"period must be one of {', '.join(PERIOD_TITLES)}, not {period!r}")


def render_trend_chart(rows: list[dict], period: str = "week",
                       min_sample: int = 10) -> alt.Chart:
    """Both SLA met percentages per week or month on a time axis, each at its period's middle;
    the line breaks over periods without an outcome; a point is faded when fewer than
    ``min_sample`` of the period's tickets have that outcome. The tickets created per period
    are a chart of their own (``render_volume_chart``), so a count never reads as a %.

    ``rows`` as from ``metrics.trend``: ``start``, ``label``, ``tickets``, ``*_met``,
    ``*_breached`` and ``*_sla_pct`` for response and resolution.
    """
    _check_period(period)
    if not rows:
        return _empty()
    wide, long = _trend_frames(rows, period, min_sample)
    if long["pct"].isna().all():
        return _empty("No SLA outcome in these tickets yet")
    x, tooltip = _time_axis(wide, period, "middle"), _trend_tooltip(period)
    pct = alt.Y("pct:Q", title="SLA met %", scale=PCT_SCALE,
                axis=alt.Axis(minExtent=AXIS_EXTENT))
    kinds = [kind for kind in KIND_COLOURS if kind in set(long.dropna(subset=["pct"])["kind"])]
    long = long[long["kind"].isin(kinds)]
    color = alt.Color("kind:N", title=None, legend=alt.Legend(orient="top", labelLimit=0),
                      scale=alt.Scale(domain=kinds, range=[KIND_COLOURS[k] for k in kinds]))
    lines = alt.Chart(long).mark_line(invalid="break-paths-show-domains").encode(
        x=x, y=pct, color=color, tooltip=tooltip)
    points = alt.Chart(long.dropna(subset=["pct"])).mark_point(filled=True, size=45).encode(
        x=x, y=pct, color=color, tooltip=tooltip,
        opacity=alt.Opacity("sample:N", title=None,
                            scale=alt.Scale(domain=_sample_names(min_sample), range=[1, FADED]),
                            legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=0)))
    return alt.layer(lines, points).properties(height=TREND_PCT_HEIGHT, autosize=FIT_WIDTH)


def render_volume_chart(rows: list[dict], period: str = "week") -> alt.Chart:
    """Tickets created per week or month, each bar spanning its period, on the trend's axis."""
    _check_period(period)
    if not rows:
        return _empty()
    wide, _ = _trend_frames(rows, period, 1)
    return alt.Chart(wide).mark_bar(color=VOLUME, opacity=0.6, stroke="white", strokeWidth=0.5).encode(
        x=_time_axis(wide, period, "start"), x2="end:T", tooltip=_trend_tooltip(period),
        y=alt.Y("tickets:Q", **_count_axis("Tickets created", wide["tickets"].max(),
                                             minExtent=AXIS_EXTENT)),
        y2=alt.datum(0)  # from zero up: with x and x2 both set, a bar would be a thin band
    ).properties(height=TREND_VOLUME_HEIGHT, autosize=FIT_WIDTH)


def render_priority_chart(rows: list[dict]) -> alt.Chart:
    """Tickets per priority split into resolved and pending, the total above each bar."""
    if not rows:
        return _empty()
    order = [r["priority"] for r in rows]
    frame = pd.DataFrame([{"priority": r["priority"], "status": status.title(), "rank": rank,
                           "tickets": r[status], "total": r["resolved"] + r["pending"]}
                          for r in rows for rank, status in enumerate(("resolved", "pending"))])
    x = alt.X("priority:N", sort=order, title="Priority", axis=alt.Axis(labelAngle=0))
    bars = alt.Chart(frame).mark_bar().encode(
        x=x, y=alt.Y("tickets:Q", **_count_axis("Tickets", frame["total"].max())),
        color=alt.Color("status:N", title="Status", scale=STATUS_SCALE),
        order=alt.Order("rank:Q"),
        tooltip=[alt.Tooltip("priority:N", title="Priority"),
                 alt.Tooltip("status:N", title="Status"), _count("tickets", "Tickets")])
    totals = (alt.Chart(frame).transform_filter(alt.datum.rank == 0)
              .mark_text(baseline="bottom", dy=-3)
              .encode(x=x, y=alt.Y("total:Q", title="Tickets"),
                      text=alt.Text("total:Q", format=",d"),
                      tooltip=[alt.Tooltip("priority:N", title="Priority"),
                               _count("total", "Tickets")]))
    return alt.layer(bars, totals).properties(height=HEIGHT)


def _part_title(shown: int, of: int, what: str) -> dict:
    """The title "Top 15 of 20 agents" of a chart that shows part of a list; none else."""
    return {"title": f"Top {shown:,} of {of:,} {what}"} if of > shown else {}


def render_leaderboard_chart(rows: list[dict], limit: int = 15) -> alt.Chart:
    """Score per agent, best first, the score at each bar's end (titled "Top 15 of 20 …")."""
    scored = [r for r in rows if r["score"] > 0]
    top = scored[:limit]
    if not top:
        return _empty("No agent has enough tickets for a score")
    frame = pd.DataFrame(top)
    base = alt.Chart(frame).encode(
        x=alt.X("score:Q", title="Score"),
        y=alt.Y("agent:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False)),
        tooltip=[alt.Tooltip("agent:N", title="Agent"),
                 alt.Tooltip("score:Q", title="Score", format=",.1f"),
                 _count("total_tickets", "Tickets"),
                 alt.Tooltip("response_sla_pct:Q", title="Response SLA met %", format=",.1f"),
                 alt.Tooltip("resolution_sla_pct:Q", title="Resolution SLA met %",
                             format=",.1f")])
    bars = base.mark_bar(color=MET, cornerRadiusEnd=3)
    labels = base.mark_text(align="left", dx=4).encode(text=alt.Text("score:Q", format=",.1f"))
    return alt.layer(bars, labels).properties(height=max(HEIGHT, 24 * len(frame)), **_part_title(
        len(top), len(scored), "agents with a score"))


def render_comparison_chart(agent: dict, team: dict, team_name: str) -> alt.Chart:
    """An agent's SLA met percentages beside their team's, each written at the bar's end."""
    who_order = [agent["agent"], f"{team_name} average"]
    records = [{"who": who, "kind": f"{kind.title()} SLA", "pct": row[f"{kind}_sla_pct"],
                "pct_label": _pct(row[f"{kind}_sla_pct"])}
               for who, row in zip(who_order, (agent, team)) for kind in KINDS
               if row.get(f"{kind}_sla_pct") is not None]
    frame = pd.DataFrame(records)
    if frame.empty:
        return _empty("No SLA outcomes to compare")
    base = alt.Chart(frame).encode(
        x=alt.X("pct:Q", title="SLA met %", scale=PCT_SCALE),
        y=alt.Y("kind:N", title=None, sort=["Response SLA", "Resolution SLA"]),
        yOffset=alt.YOffset("who:N", sort=who_order),
        tooltip=[alt.Tooltip("who:N", title="Agent or team"), alt.Tooltip("kind:N", title="SLA"),
                 alt.Tooltip("pct:Q", title="Met %", format=",.1f")])
    bars = base.mark_bar().encode(
        color=alt.Color("who:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=who_order, range=[MET, "#999999"])))
    labels = base.mark_text(align="left", dx=4).encode(text="pct_label:N")
    return alt.layer(bars, labels).properties(height=alt.Step(22))


def render_fair_chart(rows: list[dict], kind: str = "resolution", limit: int = 15) -> alt.Chart:
    """Each agent's SLA % against what the desk reaches on their mix (points), with its 95 %
    interval, best fair rank first; the difference written beside each dot."""
    column = f"{kind}_vs_expected"
    ranked = sorted((r for r in rows if r.get(column) is not None),
                    key=lambda r: r["fair_rank"])[:limit]
    if not ranked:
        return _empty(f"No agent has a {kind} SLA outcome")
    frame = pd.DataFrame(ranked)
    frame["label"] = frame[column].map(lambda v: f"{v:+,.1f} pts")
    order = list(frame["agent"])
    y = alt.Y("agent:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False))
    tooltip = [alt.Tooltip("agent:N", title="Agent"), _count("total_tickets", "Tickets"),
               alt.Tooltip(f"{kind}_sla_pct:Q", title="Actual met %", format=",.1f"),
               alt.Tooltip(f"expected_{kind}_sla_pct:Q", title="Expected met %", format=",.1f"),
               alt.Tooltip(f"{column}:Q", title="Difference (points)", format="+,.1f"),
               alt.Tooltip("fair_rank:Q", title="Fair rank")]
    base = alt.Chart(frame).encode(y=y, tooltip=tooltip)
    title = f"{kind.title()} SLA vs expected (points, 95 % interval)"  # on every layer: a
    # layer left untitled would add its field name to the shared axis title
    spread = base.mark_rule(color=VOLUME, strokeWidth=2).encode(
        x=alt.X(f"{column}_low:Q", title=title), x2=f"{column}_high:Q")
    dots = base.mark_point(filled=True, size=70, color=MET).encode(
        x=alt.X(f"{column}:Q", title=title))
    labels = base.mark_text(align="left", dx=8, dy=-8).encode(
        x=alt.X(f"{column}:Q", title=title), text="label:N")
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="gray", strokeDash=[4, 4]) \
        .encode(x=alt.X("x:Q", title=title),
                tooltip=alt.value("0 points: exactly what the desk reaches on this mix"))
    return alt.layer(spread, zero, dots, labels).properties(height=max(HEIGHT, 26 * len(frame)))


def render_handoff_chart(rows: list[dict], key: str = "team", limit: int = 15) -> alt.Chart:
    """Hours each team (or raw team) held the tickets, the total (days and hours when long)
    written at each bar's end; titled "Top 15 of 40 teams" when it shows part of them."""
    top = sorted(rows, key=lambda r: -r["hours_held"])[:limit]
    if not top:
        return _empty()
    frame = pd.DataFrame(top)
    frame["label"] = frame["hours_held"].map(display.hours)
    base = alt.Chart(frame).encode(
        x=alt.X("hours_held:Q", title="Hours held", axis=alt.Axis(format=",d")),
        y=alt.Y(f"{key}:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False)),
        tooltip=[alt.Tooltip(f"{key}:N", title="Team"),
                 alt.Tooltip("label:N", title="Held"),
                 _count("tickets", "Tickets touched"), _count("handoffs_in", "Handed in"),
                 _count("handoffs_out", "Handed out"), _count("breaches_owned", "Breaches owned")])
    bars = base.mark_bar(color=RESOLUTION, cornerRadiusEnd=3)
    labels = base.mark_text(align="left", dx=4).encode(text="label:N")
    return alt.layer(bars, labels).properties(height=max(120, 28 * len(frame)), **_part_title(
        len(top), len(rows), "teams" if key == "team" else "raw teams"))


def render_changes_chart(contributions: list[dict], unit: str = "points",
                         limit: int = 8) -> alt.Chart:
    """The largest contributions to a change (cause, team, priority), up in blue and down in
    orange, each written at its bar's end."""
    top = contributions[:limit]
    if not top:
        return _empty("Nothing moved")
    frame = pd.DataFrame(top)
    frame["what"] = [f"{r['cause']} · {r['team']} · {r['priority']}" for r in top]
    frame["direction"] = ["Up" if p >= 0 else "Down" for p in frame["points"]]
    frame["label"] = [f"{p:+,.1f}" if unit == "points" else f"{p:+,.0f}" for p in frame["points"]]
    base = alt.Chart(frame).encode(
        x=alt.X("points:Q", title=unit.capitalize()),
        y=alt.Y("what:N", sort=list(frame["what"]), title=None,
                axis=alt.Axis(labelOverlap=False, labelLimit=320)),
        tooltip=[alt.Tooltip("cause:N", title="Cause"), alt.Tooltip("team:N", title="Team"),
                 alt.Tooltip("priority:N", title="Priority"), _count("tickets", "Tickets"),
                 alt.Tooltip("points:Q", title=unit.capitalize(), format="+,.2f")])
    bars = base.mark_bar().encode(color=alt.Color(
        "direction:N", title="Direction", legend=None, scale=alt.Scale(domain=["Up", "Down"], range=[MET, BREACHED])))
    labels = base.mark_text(align="left", dx=4).encode(text="label:N")
    return alt.layer(bars, labels).properties(height=max(120, 26 * len(frame)))
