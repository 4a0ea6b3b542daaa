"""Team Performance: L1, L2, Business, Other and Unassigned side by side."""

import pandas as pd
import streamlit as st

from sla import charts, display, fields
from ui import auth, data, filters, widgets

auth.require_role()
filters = filters.filter_bar()
st.title("Team Performance")
teams = data.teams(filters)
if not teams:
    st.info("No tickets match the filters.")
    st.stop()

cards = st.columns(len(teams))
for column, row in zip(cards, teams):
    with column.container(border=True):
        st.markdown(f"**{display.literal(row['team'])}**")
        st.metric("Tickets", widgets.fmt_int(row["total_tickets"]),
                  help=f"{row['resolved']:,} resolved · {row['pending']:,} pending")
        widgets.sla_kpis(st, st, row, border=False)

table = pd.DataFrame(teams)[["team", "total_tickets", "resolved", "pending", "breaches",
                             "response_met", "response_breached", "response_sla_pct",
                             "resolution_met", "resolution_breached", "resolution_sla_pct",
                             "avg_response_hours", "median_response_hours",
                             "avg_resolution_hours", "median_resolution_hours"]]
number = st.column_config.NumberColumn
st.dataframe(table, hide_index=True, column_config={
    "team": "Team", "total_tickets": number("Tickets"), "resolved": number("Resolved"),
    "pending": number("Pending"), "breaches": number("Breaches"),
    "response_met": number("Resp. met"), "response_breached": number("Resp. breached"),
    "response_sla_pct": number("Response %", format="%.1f"),
    "resolution_met": number("Res. met"), "resolution_breached": number("Res. breached"),
    "resolution_sla_pct": number("Resolution %", format="%.1f"),
    "avg_response_hours": number("Avg resp. h", format="%.1f"),
    "median_response_hours": number("Median resp. h", format="%.1f"),
    "avg_resolution_hours": number("Avg res. h", format="%.1f"),
    "median_resolution_hours": number("Median res. h", format="%.1f")})
widgets.download_csv(table, "teams.csv", "Download team figures")
widgets.how_calculated("sla", "hours", "teams")

left, right = st.columns(2)
with left:
    st.subheader("SLA by team")
    widgets.chart(charts.render_sla_by_group_chart, teams, "team", list(fields.TEAMS),
                  key=(filters,))
with right:
    st.subheader("Pending by status")
    pending = pd.DataFrame(data.pending_by_status(filters),
                           columns=["team", "status", "tickets"])
    if pending.empty:
        st.caption("Nothing pending.")
    else:
        st.dataframe(pending.pivot_table(index="status", columns="team", values="tickets",
                                         aggfunc="sum", fill_value=0)
                     .reindex(columns=[t for t in fields.TEAMS if t in set(pending["team"])]),
                     column_config={"status": "Status"})

st.subheader("Which raw team names fed each team")
raw = pd.DataFrame(data.raw_teams(filters), columns=["team", "team_raw", "tickets"])
to_check = raw[raw["team"].isin(["Other", "Unassigned"])]
if not to_check.empty:
    st.warning(f"{to_check['tickets'].sum():,} tickets fell into Other or Unassigned "
               f"({len(to_check):,} raw names). If some belong to L1, L2 or Business, add a "
               "rule in Settings.", icon=":material/rule:")
for team in [t for t in fields.TEAMS if t in set(raw["team"])]:
    names = raw[raw["team"] == team]
    with st.expander(f"{display.literal(team)}: {len(names):,} raw names, "
                     f"{names['tickets'].sum():,} tickets",
                     expanded=team in ("Other", "Unassigned")):
        st.dataframe(names[["team_raw", "tickets"]], hide_index=True,
                     column_config={"team_raw": "Raw team", "tickets": "Tickets"})
