"""Team Performance: L1, L2, Business, Other and Unassigned side by side."""

import pandas as pd
import streamlit as st

from sla.core import display
from ui import auth, charts, data, filters, tables, widgets

user = auth.require_role()
st.title("Team Performance")
filters = filters.filter_bar()
teams = data.teams(filters)
widgets.stop_if_empty(len(teams), user)

cards = st.columns(len(teams))
for column, row in zip(cards, teams):
    with column.container(border=True):
        st.markdown(f"**{display.literal(row['team'])}**")
        st.metric("Tickets", widgets.fmt_int(row["total_tickets"]))
        st.caption(f"{row['resolved']:,} resolved · {row['pending']:,} pending")
        widgets.sla_kpis(st, st, row, border=False)

table = pd.DataFrame(teams)[["team", "total_tickets", "resolved", "pending", "breaches",
                             "response_met", "response_breached", "response_sla_pct",
                             "resolution_met", "resolution_breached", "resolution_sla_pct",
                             "avg_response_hours", "median_response_hours",
                             "avg_resolution_hours", "median_resolution_hours"]]
tables.figure_table(table, ["team", "total_tickets", "resolved", "pending", "breaches",
                            "response_sla_pct", "resolution_sla_pct", "median_response_hours",
                            "median_resolution_hours"])  # met and breached: on the cards
widgets.download_csv(table, "teams.csv", "Download team figures")
widgets.how_calculated("sla", "hours", "teams")

left, right = st.columns(2)
with left:
    st.subheader("SLA met by team")
    widgets.chart(charts.render_sla_by_group_chart, teams, "team", list(data.team_names()),
                  key=(filters,))
with right:
    st.subheader("Pending by status")
    pending = pd.DataFrame(data.pending_by_status(filters),
                           columns=["team", "status", "tickets"])
    if pending.empty:
        st.caption("Nothing pending.")
    else:
        by_status = (pending.pivot_table(index="status", columns="team", values="tickets",
                                         aggfunc="sum", fill_value=0)
                     .reindex(columns=[t for t in data.team_names() if t in set(pending["team"])])
                     .astype(int))
        st.dataframe(by_status, placeholder=tables.MISSING, column_config={
            "status": "Status", **{team: st.column_config.NumberColumn(team, format=tables.COUNT)
                                   for team in by_status.columns}})

st.subheader("Which team names in the file fed each team")
raw = pd.DataFrame(data.raw_teams(filters), columns=["team", "team_raw", "tickets"])
to_check = raw[raw["team"].isin(["Other", "Unassigned"])]
if not to_check.empty:
    st.warning(f"{display.count(int(to_check['tickets'].sum()), 'ticket')} fell into Other "
               f"or Unassigned ({display.count(len(to_check), 'team name')} in the file); if "
               "some belong to one of your teams, map them in Settings (Teams).",
               icon=":material/rule:")
for team in [t for t in data.team_names() if t in set(raw["team"])]:
    names = raw[raw["team"] == team]
    with st.expander(f"{display.literal(team)}: "
                     f"{display.count(len(names), 'team name')} in the file, "
                     f"{display.count(int(names['tickets'].sum()), 'ticket')}",
                     expanded=team in ("Other", "Unassigned")):
        st.dataframe(names[["team_raw", "tickets"]], hide_index=True,
                     placeholder=tables.MISSING, column_config={
            "team_raw": "Team in the file",
            "tickets": st.column_config.NumberColumn("Tickets", format=tables.COUNT)})
