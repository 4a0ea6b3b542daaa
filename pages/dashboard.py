"""Dashboard: the week at a glance for the filtered tickets."""

import pandas as pd
import streamlit as st

from sla import charts, fields
from ui import auth, data, filters, widgets

auth.require_role()
filters = filters.filter_bar()
summary = data.summary(filters)
st.title("Dashboard")

row1 = st.columns(4)
widgets.kpi(row1[0], "Total tickets", widgets.fmt_int(summary["total_tickets"]))
widgets.kpi(row1[1], "Resolved", widgets.fmt_int(summary["resolved"]))
widgets.kpi(row1[2], "Pending", widgets.fmt_int(summary["pending"]))
widgets.kpi(row1[3], "Breaches", widgets.fmt_int(summary["breaches"]),
            "Tickets with a breached response or resolution SLA (each counted once).")
row2 = st.columns(4)
widgets.sla_kpis(row2[0], row2[1], summary)
widgets.kpi(row2[2], "Response hours", widgets.fmt_hours(summary["median_response_hours"]),
            f"median; average {widgets.fmt_hours(summary['avg_response_hours'])}")
widgets.kpi(row2[3], "Resolution hours", widgets.fmt_hours(summary["median_resolution_hours"]),
            f"median; average {widgets.fmt_hours(summary['avg_resolution_hours'])}")
st.caption(f"Response: {summary['response_met']:,} met, {summary['response_breached']:,} breached"
           f" · Resolution: {summary['resolution_met']:,} met, "
           f"{summary['resolution_breached']:,} breached · averages: response "
           f"{widgets.fmt_hours(summary['avg_response_hours'])}, resolution "
           f"{widgets.fmt_hours(summary['avg_resolution_hours'])}")
widgets.how_calculated("sla", "breaches", "hours", "status")

left, right = st.columns(2)
with left:
    st.subheader("Pending by team")
    widgets.chart(charts.render_pending_by_team_chart, summary["pending_by_team"], key=(filters,))
with right:
    st.subheader("SLA by team")
    widgets.chart(charts.render_sla_by_group_chart, data.teams(filters), "team",
                  list(fields.TEAMS), key=(filters,))

st.subheader("Weekly trend")
widgets.chart(charts.render_trend_chart, data.trend(filters), key=(filters,))

left, right = st.columns(2)
with left:
    st.subheader("By priority")
    widgets.chart(charts.render_priority_chart, data.priorities(filters), key=(filters,))
with right:
    st.subheader("Top performers")
    top = pd.DataFrame(summary["top_performers"],
                       columns=["agent", "total_tickets", "response_sla_pct",
                                "resolution_sla_pct", "score"])
    st.dataframe(top, hide_index=True, column_config={
        "agent": "Agent", "total_tickets": st.column_config.NumberColumn("Tickets"),
        "response_sla_pct": st.column_config.NumberColumn("Response %", format="%.1f"),
        "resolution_sla_pct": st.column_config.NumberColumn("Resolution %", format="%.1f"),
        "score": st.column_config.NumberColumn("Score", format="%.2f")})
    widgets.how_calculated("score")

st.subheader("At risk")
at_risk = pd.DataFrame(data.at_risk(filters),
                       columns=["sr_number", "priority", "team", "resolved_by", "status",
                                "created", "age_hours", "target_hours", "hours_left"]
                       ).fillna({"resolved_by": "", "status": ""})
st.caption(f"{len(at_risk):,} pending tickets past 80 % of their resolution target"
           + (" (the 200 with least time left)" if len(at_risk) == 200 else ""))
st.dataframe(at_risk, hide_index=True, column_config={
    "sr_number": "SR", "priority": "Priority", "team": "Team", "resolved_by": "Agent",
    "status": "Status", "created": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm"),
    "age_hours": st.column_config.NumberColumn("Age (h)", format="%.1f"),
    "target_hours": st.column_config.NumberColumn("Target (h)", format="%.0f"),
    "hours_left": st.column_config.NumberColumn("Hours left", format="%.1f")})
widgets.download_csv(at_risk, "at-risk.csv", "Download at-risk CSV")
widgets.how_calculated("at_risk")
