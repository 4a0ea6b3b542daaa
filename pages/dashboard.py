"""Dashboard: the week at a glance for the filtered tickets."""

import pandas as pd
import streamlit as st

from sla.analytics import changes, metrics
from ui import auth, charts, data, filters, tables, widgets

user = auth.require_role()
st.title("Dashboard")
filters = filters.filter_bar()
summary = data.summary(filters)
widgets.stop_if_empty(summary["total_tickets"], user)
settings = data.settings()

risk = data.at_risk(filters)
previous = filters.previous_period()
before = data.summary(previous) if previous else None
period = f"{previous.date_from:%-d %b} – {previous.date_to:%-d %b %Y}" if previous else ""
row = st.columns(6)
for column, key, label, help_text, lower in (
        (row[0], "total_tickets", "Total tickets", None, False),
        (row[1], "resolved", "Resolved", None, False),
        (row[2], "pending", "Pending", None, True),
        (row[3], "breaches", "Breaches",
         "Tickets with a breached response or resolution SLA (each counted once).", True)):
    widgets.kpi(column, label, widgets.fmt_int(summary[key]),
                help_text, delta=widgets.count_delta(summary, before, key, period),
                lower_is_better=lower)
widgets.kpi(row[4], "Overdue", widgets.fmt_int(risk["counts"]["overdue"]),
            "Open tickets past their resolution target, in working hours (list below).")
widgets.kpi(row[5], "At risk", widgets.fmt_int(risk["counts"]["at_risk"]),
            "Open tickets close to their resolution target (list below).")
for kind, column in zip(("response", "resolution"), st.columns(2)):
    with column.container(border=True):
        cards = st.columns(3)
        widgets.sla_kpi(cards[0], kind, summary,
                        delta=widgets.pct_delta(summary, before, f"{kind}_sla_pct", period))
        widgets.kpi(cards[1], f"Median {kind} time",
                    widgets.fmt_hours(summary[f"median_{kind}_hours"]), border=False)
        widgets.kpi(cards[2], f"Average {kind} time",
                    widgets.fmt_hours(summary[f"avg_{kind}_hours"]), border=False)
widgets.how_calculated("sla", "breaches", "hours", "status", "targets")

left, right = st.columns(2)
with left:
    st.subheader("Pending by team")
    widgets.chart(charts.render_pending_by_team_chart, summary["pending_by_team"], key=(filters,))
with right:
    st.subheader("SLA met by team")
    widgets.chart(charts.render_sla_by_group_chart, data.teams(filters), "team",
                  list(data.team_names()), key=(filters,))

moved = data.changes_between(filters)
created = (f"{filters.date_from or 'first'} – {filters.date_to or 'last'}"
           if filters.date_from or filters.date_to else None)
if "error" not in moved:
    with st.container(border=True):
        st.markdown(changes.headline(moved, "resolution_sla_pct", created=created))
        with st.expander("What moved since the previous import", icon=":material/compare_arrows:"):
            for name, tab in zip(changes.FIGURE_NAMES, st.tabs(list(changes.FIGURE_NAMES.values()))):
                with tab:
                    st.markdown(changes.headline(moved, name, created=created))
                    unit = "tickets" if name == "pending" else "points"
                    widgets.chart(charts.render_changes_chart, moved[name]["contributions"],
                                  unit, key=(filters, name, moved["from"]["id"]))
                    parts = pd.DataFrame(moved[name]["contributions"],
                                         columns=["cause", "team", "priority", "tickets",
                                                  "points"])
                    if name == "pending":
                        parts = parts.assign(points=parts["points"].astype(int)) \
                            .rename(columns={"points": "pending_change"})
                    tables.figure_table(parts, height=tables.whole_height(len(parts), 12))
            widgets.how_calculated("changes", link=False)

span = data.data_span()
heading, choice = st.columns([3, 1], vertical_alignment="bottom")
heading.subheader("Trend")
period = choice.segmented_control(
    "Period", list(metrics.PERIODS), format_func={"week": "Weekly", "month": "Monthly"}.get,
    default=metrics.suggested_period(span["first"], span["last"]), key="period",
    label_visibility="collapsed") or "week"
trend = data.trend(filters, period)
widgets.chart(charts.render_trend_chart, trend, period, settings["trend_min_sample"],
              key=(filters, period, settings["trend_min_sample"]))
widgets.chart(charts.render_volume_chart, trend, period, key=(filters, period))
widgets.how_calculated("trend")

left, right = st.columns([2, 3])
with left:
    st.subheader("By priority")
    widgets.chart(charts.render_priority_chart, data.priorities(filters), key=(filters,))
with right:
    st.subheader("Top performers")
    tables.performer_table(summary["top_performers"])
    widgets.how_calculated("score")

st.subheader("Overdue and at risk")
st.caption(tables.risk_caption(risk, settings))
overdue_tab, risk_tab = st.tabs([f"Overdue ({risk['counts']['overdue']:,})",
                                 f"At risk ({risk['counts']['at_risk']:,})"])
with overdue_tab:
    tables.risk_table(risk["tickets"], "overdue")
with risk_tab:
    tables.risk_table(risk["tickets"], "at risk")
widgets.how_calculated("at_risk", "clock")
