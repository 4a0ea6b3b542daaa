"""Agent Performance: the leaderboard, then one agent in detail."""

import dataclasses

import pandas as pd
import streamlit as st

from sla.analytics.explain import FAIR_SENTENCE, score_formula
from sla.core import display
from ui import auth, charts, data, filters, tables, widgets

user = auth.require_role()
st.title("Agent Performance")
filters = filters.filter_bar()
agents = data.agents(filters)
widgets.stop_if_empty(len(agents), user, "tickets with an agent (an owner or a resolver)")
st.caption("A person's tickets are the ones they resolved and the open ones they own now.")

RANKINGS = {"fair": "Fairly (against their mix)", "score": "By the old system's score"}
BOARD_COLUMNS = {
    "score": ["agent", "score", "total_tickets", "response_sla_pct", "resolution_sla_pct",
              "avg_response_hours", "median_response_hours", "avg_resolution_hours",
              "median_resolution_hours"],
    "fair": ["agent", "fair_score", "total_tickets", "resolution_sla_pct",
             "expected_resolution_sla_pct", "resolution_vs_expected",
             "resolution_vs_expected_low", "resolution_vs_expected_high", "response_sla_pct",
             "expected_response_sla_pct", "response_vs_expected"]}
# On screen: what fits a 1440 px window (the averages and the 95 % intervals, which the chart
# below draws, are in the CSV).
BOARD_SHOWN = {
    "score": ["rank", "agent", "score", "total_tickets", "response_sla_pct", "resolution_sla_pct",
              "median_response_hours", "median_resolution_hours"],
    "fair": ["rank", "agent", "fair_score", "total_tickets", "resolution_sla_pct",
             "expected_resolution_sla_pct", "resolution_vs_expected", "response_sla_pct",
             "expected_response_sla_pct", "response_vs_expected"]}

ranking = widgets.url_choice(st, "Rank", RANKINGS, "fair", "rank")
ordered = sorted(agents, key=lambda r: r["fair_rank"]) if ranking == "fair" else agents
board = pd.DataFrame(ordered)[BOARD_COLUMNS[ranking]]
board.insert(0, "rank", range(1, len(board) + 1))
# Either board is wide: it takes the whole width (no column cut), its chart goes below.
st.subheader("Leaderboard")
st.caption(FAIR_SENTENCE if ranking == "fair" else score_formula(data.settings()))
tables.figure_table(board, BOARD_SHOWN[ranking], height=420, key=f"board-{ranking}")
widgets.download_csv(board, f"agents-{ranking}.csv", "Download leaderboard")
if ranking == "fair":
    st.subheader("Resolution SLA vs expected")
    widgets.chart(charts.render_fair_chart, agents, "resolution", key=(filters, ranking))
else:
    st.subheader("Scores")
    widgets.chart(charts.render_leaderboard_chart, agents, key=(filters,))
widgets.how_calculated(*(("fair", "agents", "sla") if ranking == "fair"
                         else ("score", "agents", "sla", "hours")))

st.subheader("Backlog per owner")
tables.backlog_table(data.backlog(filters))
widgets.how_calculated("backlog", "at_risk")

st.divider()
names = [row["agent"] for row in agents]
who = st.selectbox("Agent", names, key="who", bind="query-params", format_func=display.clean)
row = next(r for r in agents if r["agent"] == who)
mine = dataclasses.replace(filters, agents=(who,))
widgets.heading(who)
cols = st.columns(5)
widgets.kpi(cols[0], "Fair rank", f"{row['fair_rank']:,} of {len(agents):,}")
cols[0].caption(f"Old system's score {row['score']:.2f}")
widgets.kpi(cols[1], "Tickets", widgets.fmt_int(row["total_tickets"]))
cols[1].caption(f"{row['resolved']:,} resolved · {row['pending']:,} open, owned now")
widgets.sla_kpis(cols[2], cols[3], row)
widgets.kpi(cols[4], "Median resolution time", widgets.fmt_hours(row["median_resolution_hours"]))
cols[4].caption(f"Average {widgets.fmt_hours(row['avg_resolution_hours'])}")

their_teams = data.teams(mine)
set_team = data.team_set_for(who)
main_team = set_team or max(their_teams, key=lambda r: r["total_tickets"])["team"]
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
    st.markdown(f"**Compared with {display.literal(main_team)}** "
                f"({'their team in the directory' if set_team else 'their main team'})")
    if team_rows:
        widgets.chart(charts.render_comparison_chart, row, team_rows[0], main_team,
                      key=(mine, team_filters))
    st.markdown("**Priority mix**")
    widgets.chart(charts.render_priority_chart, data.priorities(mine), key=(mine,))

st.markdown("**Their tickets**")
frame = data.tickets(mine)
tables.ticket_table(frame)
widgets.download_csv(frame, f"tickets-{widgets.file_name_part(who)}.csv", "Download their tickets")
