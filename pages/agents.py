"""Agent Performance: the leaderboard, then one agent in detail."""

import dataclasses

import pandas as pd
import streamlit as st

from sla import charts, display
from ui import auth, data, filters, widgets

user = auth.require_role()
st.title("Agent Performance")
filters = filters.filter_bar()
agents = data.agents(filters)
widgets.stop_if_empty(len(agents), user, "tickets with an agent (resolved by)")

board = pd.DataFrame(agents)[["agent", "score", "total_tickets", "response_sla_pct",
                              "resolution_sla_pct", "avg_response_hours",
                              "median_response_hours", "avg_resolution_hours",
                              "median_resolution_hours"]]
board.insert(0, "rank", range(1, len(board) + 1))
left, right = st.columns([3, 2])
with left:
    st.subheader("Leaderboard")
    widgets.figure_table(board, height=420)
    widgets.download_csv(board, "agents.csv", "Download leaderboard")
with right:
    st.subheader("Scores")
    widgets.chart(charts.render_leaderboard_chart, agents, key=(filters,))
widgets.how_calculated("score", "sla", "hours")

st.divider()
names = [row["agent"] for row in agents]
who = st.selectbox("Agent", names, key="who", bind="query-params", format_func=display.clean)
row = next(r for r in agents if r["agent"] == who)
mine = dataclasses.replace(filters, agents=(who,))
widgets.heading(who)
cols = st.columns(5)
widgets.kpi(cols[0], "Score", f"{row['score']:.2f}")
widgets.kpi(cols[1], "Tickets", widgets.fmt_int(row["total_tickets"]))
cols[1].caption(f"{row['resolved']:,} resolved · {row['pending']:,} pending")
widgets.sla_kpis(cols[2], cols[3], row)
widgets.kpi(cols[4], "Median resolution time", widgets.fmt_hours(row["median_resolution_hours"]))
cols[4].caption(f"Average {widgets.fmt_hours(row['avg_resolution_hours'])}")

their_teams = data.teams(mine)
main_team = max(their_teams, key=lambda r: r["total_tickets"])["team"]
team_filters = dataclasses.replace(filters, agents=(), teams=(main_team,))
team_rows = data.teams(team_filters)
left, right = st.columns(2)
with left:
    st.markdown("**Weekly trend**")
    min_sample = data.settings()["trend_min_sample"]
    trend = data.trend(mine)
    widgets.chart(charts.render_trend_chart, trend, "week", min_sample, key=(mine, min_sample))
    widgets.chart(charts.render_volume_chart, trend, "week", key=(mine,))
with right:
    st.markdown(f"**Compared with {display.literal(main_team)}** (their main team)")
    if team_rows:
        widgets.chart(charts.render_comparison_chart, row, team_rows[0], main_team,
                      key=(mine, team_filters))
    st.markdown("**Priority mix**")
    widgets.chart(charts.render_priority_chart, data.priorities(mine), key=(mine,))

st.markdown("**Their tickets**")
frame = data.tickets(mine)
widgets.ticket_table(frame)
widgets.download_csv(frame, f"tickets-{widgets.file_name_part(who)}.csv", "Download their tickets")
