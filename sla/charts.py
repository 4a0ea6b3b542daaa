"""Altair charts: plain functions taking metric rows and returning ``alt.Chart``.

One colour meaning everywhere: met is blue and breached is orange (Okabe-Ito, safe for the
common colour-blindnesses and readable on light and dark backgrounds); pending is a neutral
grey-violet.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from sla import fields

MET = "#0072B2"
BREACHED = "#E69F00"
PENDING = "#8E7CC3"
RESPONSE = "#0072B2"
RESOLUTION = "#009E73"
OUTCOME_SCALE = alt.Scale(domain=["met", "breached"], range=[MET, BREACHED])
KIND_SCALE = alt.Scale(domain=["Response", "Resolution"], range=[RESPONSE, RESOLUTION])
HEIGHT = 260


def _empty(message: str = "No tickets match the filters") -> alt.Chart:
    return (alt.Chart(pd.DataFrame({"text": [message]})).mark_text(size=14, color="gray")
            .encode(text="text:N").properties(height=80))


def render_pending_by_team_chart(pending: dict[str, int]) -> alt.Chart:
    frame = pd.DataFrame({"team": list(pending), "pending": list(pending.values())})
    return (alt.Chart(frame).mark_bar(color=PENDING, cornerRadiusEnd=3)
            .encode(x=alt.X("pending:Q", title="Pending tickets"),
                    y=alt.Y("team:N", sort=list(fields.TEAMS), title=None),
                    tooltip=[alt.Tooltip("team:N", title="Team"),
                             alt.Tooltip("pending:Q", title="Pending")])
            .properties(height=HEIGHT))


def _outcomes(rows: list[dict], key: str) -> pd.DataFrame:
    """Long table of met / breached counts per ``key`` and SLA kind."""
    records = []
    for row in rows:
        for kind in ("response", "resolution"):
            total = row[f"{kind}_met"] + row[f"{kind}_breached"]
            for outcome in ("met", "breached"):
                count = row[f"{kind}_{outcome}"]
                records.append({key: row[key], "sla": kind.title(), "outcome": outcome,
                                "tickets": count,
                                "share": 100 * count / total if total else 0.0,
                                "pct": row[f"{kind}_sla_pct"]})
    return pd.DataFrame(records)


def render_sla_by_group_chart(rows: list[dict], key: str, order: list[str] | None = None) -> alt.Chart:
    """Stacked 100 % bars of met / breached per group, one row each for response and resolution."""
    if not rows:
        return _empty()
    frame = _outcomes(rows, key)
    return (alt.Chart(frame).mark_bar()
            .encode(x=alt.X("share:Q", title="% with an outcome",
                            scale=alt.Scale(domain=[0, 100])),
                    y=alt.Y(f"{key}:N", sort=order, title=None),
                    row=alt.Row("sla:N", sort=["Response", "Resolution"], title=None,
                                header=alt.Header(labelAngle=0, labelAlign="left",
                                                  labelOrient="top", labelFontWeight="bold")),
                    color=alt.Color("outcome:N", scale=OUTCOME_SCALE, title="SLA",
                                    legend=alt.Legend(orient="bottom")),
                    order=alt.Order("outcome:N", sort="descending"),
                    tooltip=[alt.Tooltip(f"{key}:N", title=key.title()),
                             alt.Tooltip("sla:N", title="SLA"),
                             alt.Tooltip("outcome:N", title="Outcome"),
                             alt.Tooltip("tickets:Q", title="Tickets"),
                             alt.Tooltip("pct:Q", title="Met %", format=".1f")])
            .properties(height=alt.Step(20), width=280))


def render_trend_chart(rows: list[dict]) -> alt.Chart:
    """Weekly volume (bars) under both SLA percentages (lines)."""
    if not rows:
        return _empty()
    frame = pd.DataFrame(rows)
    frame["week_start"] = pd.to_datetime(frame["week_start"])
    base = alt.Chart(frame).encode(x=alt.X("week_start:T", title="Week (Monday)"))
    volume = base.mark_bar(color="#A0A0A0", opacity=0.45).encode(
        y=alt.Y("tickets:Q", title="Tickets created"),
        tooltip=[alt.Tooltip("week:N", title="ISO week"), alt.Tooltip("tickets:Q", title="Tickets")])
    long = frame.melt(id_vars=["week", "week_start"],
                      value_vars=["response_sla_pct", "resolution_sla_pct"],
                      var_name="sla", value_name="pct").dropna()
    long["sla"] = long["sla"].map({"response_sla_pct": "Response",
                                   "resolution_sla_pct": "Resolution"})
    lines = (alt.Chart(long).mark_line(point=True)
             .encode(x="week_start:T",
                     y=alt.Y("pct:Q", title="SLA met %", scale=alt.Scale(domain=[0, 100])),
                     color=alt.Color("sla:N", scale=KIND_SCALE, title="SLA"),
                     tooltip=[alt.Tooltip("week:N", title="ISO week"),
                              alt.Tooltip("sla:N", title="SLA"),
                              alt.Tooltip("pct:Q", title="Met %", format=".1f")]))
    return alt.layer(volume, lines).resolve_scale(y="independent").properties(height=HEIGHT)


def render_priority_chart(rows: list[dict]) -> alt.Chart:
    """Tickets per priority split into resolved and pending."""
    if not rows:
        return _empty()
    frame = pd.DataFrame([{"priority": r["priority"], "state": state, "tickets": r[state]}
                          for r in rows for state in ("resolved", "pending")])
    return (alt.Chart(frame).mark_bar()
            .encode(x=alt.X("priority:N", sort=[r["priority"] for r in rows], title="Priority"),
                    y=alt.Y("tickets:Q", title="Tickets"),
                    color=alt.Color("state:N", title="Status",
                                    scale=alt.Scale(domain=["resolved", "pending"],
                                                    range=["#56B4E9", PENDING])),
                    tooltip=["priority:N", "state:N", "tickets:Q"])
            .properties(height=HEIGHT))


def render_leaderboard_chart(rows: list[dict], limit: int = 15) -> alt.Chart:
    """Score per agent, best first."""
    top = [r for r in rows if r["score"] > 0][:limit]
    if not top:
        return _empty("No agent has enough tickets for a score")
    frame = pd.DataFrame(top)
    return (alt.Chart(frame).mark_bar(color=MET, cornerRadiusEnd=3)
            .encode(x=alt.X("score:Q", title="Score"),
                    y=alt.Y("agent:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False)),
                    tooltip=[alt.Tooltip("agent:N", title="Agent"),
                             alt.Tooltip("score:Q", format=".2f"),
                             alt.Tooltip("total_tickets:Q", title="Tickets"),
                             alt.Tooltip("response_sla_pct:Q", title="Response %", format=".1f"),
                             alt.Tooltip("resolution_sla_pct:Q", title="Resolution %",
                                         format=".1f")])
            .properties(height=max(HEIGHT, 24 * len(frame))))


def render_comparison_chart(agent: dict, team: dict, team_name: str) -> alt.Chart:
    """An agent's SLA percentages beside their team's."""
    records = []
    for who, row in ((agent["agent"], agent), (f"{team_name} average", team)):
        for kind in ("response", "resolution"):
            records.append({"who": who, "sla": kind.title(), "pct": row.get(f"{kind}_sla_pct")})
    frame = pd.DataFrame(records).dropna()
    if frame.empty:
        return _empty("No SLA outcomes to compare")
    who_order = [agent["agent"], f"{team_name} average"]
    return (alt.Chart(frame).mark_bar()
            .encode(x=alt.X("pct:Q", title="SLA met %", scale=alt.Scale(domain=[0, 100])),
                    y=alt.Y("sla:N", title=None),
                    yOffset=alt.YOffset("who:N", sort=who_order),
                    color=alt.Color("who:N", title=None, legend=alt.Legend(orient="bottom"),
                                    scale=alt.Scale(domain=who_order, range=[MET, "#999999"])),
                    tooltip=["who:N", "sla:N", alt.Tooltip("pct:Q", format=".1f")])
            .properties(height=alt.Step(22)))
