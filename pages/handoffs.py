"""Hand-offs: whose time it was. The hours each team held the filtered tickets, the hand-offs
between teams, and the breaches each team owns."""

import pandas as pd
import streamlit as st

from sla.core import display
from ui import auth, charts, data, filters, tables, widgets

LEVELS = {"team": "Per team", "raw": "Per team name in the file"}
HOURS = {"wall": "Wall-clock hours", "working": "Working hours"}

user = auth.require_role()
st.title("Hand-offs")
filters = filters.filter_bar()
choices = st.columns(2)
level = widgets.url_choice(choices[0], "Level", LEVELS, "team", "level")
hours = widgets.url_choice(choices[1], "Hours", HOURS, "wall", "hours")
result = data.handoffs_by_team(filters, raw=level == "raw", working=hours == "working")
widgets.stop_if_empty(result["tickets"] + result["tickets_left_out"], user)

cards = st.columns(4)
widgets.kpi(cards[0], "Tickets placed in time", widgets.fmt_int(result["tickets"]),
            "Tickets with a created date and, when resolved, a resolved date or resolution time.")
widgets.kpi(cards[1], "Handed off at least once", widgets.fmt_int(result["tickets_handed_off"]))
widgets.kpi(cards[2], "Hand-offs", widgets.fmt_int(sum(r["handoffs_in"] for r in result["teams"])),
            "Times a ticket passed from one team to another.")
widgets.kpi(cards[3], "Breaches owned",
            widgets.fmt_int(sum(r["breaches_owned"] for r in result["teams"])),
            "Resolution breaches, each owned by the team holding the ticket when its target "
            "passed.")
notes = [f"As of {result['as_of']:%d %b %Y %H:%M} (the data's clock), in "
         + ("working hours of each team's calendar." if result["hours"] == "working"
            else "wall-clock hours.")]
if result["tickets_left_out"]:
    notes.append(f"{display.count(result['tickets_left_out'], 'ticket')} left out: no created "
                 "date, or resolved without a resolved date or resolution time.")
if result["approximate"]:
    notes.append("Some team changes were seen only between two uploads and are placed at the "
                 "later upload, so those hours are approximate.")
if not result["tickets_handed_off"]:
    notes.append("No ticket changed team in the data held: each team held its own tickets "
                 "from start to end.")
st.caption(" ".join(notes))

key = "team_raw" if level == "raw" else "team"
left, right = st.columns([3, 2])
with left:
    st.subheader("Hours held")
    widgets.chart(charts.render_handoff_chart, result["teams"], key, key=(filters, level))
with right:
    st.subheader("Breaches owned")
    owned = [r for r in result["teams"] if r["breaches_owned"]]
    if owned:
        tables.figure_table(pd.DataFrame(owned)[[key, "breaches_owned", "tickets"]]
                             .sort_values("breaches_owned", ascending=False))
    else:
        st.caption("No resolution breach among these tickets.")

columns = ([key, "team"] if level == "raw" else [key]) + [
    "tickets", "hours_held", "median_hours_held", "handoffs_in", "handoffs_out",
    "breaches_owned"]
table = pd.DataFrame(result["teams"], columns=columns)
tables.figure_table(table.assign(hours_held=table["hours_held"].map(display.hours),
                                  median_hours_held=table["median_hours_held"].map(display.hours))
                     .rename(columns={"hours_held": "held", "median_hours_held": "median_held"}))
widgets.download_csv(table, f"handoffs-{level}.csv", "Download hand-offs")

st.subheader("Who handed to whom")
if result["transfers"]:
    st.caption("How often one team passed a ticket to another, and the median time the first "
               "held it just before.")
    transfers = pd.DataFrame(result["transfers"])
    tables.figure_table(transfers.assign(median_hours_before=transfers["median_hours_before"]
                                          .map(display.hours)), key="transfers")
    widgets.download_csv(transfers, f"handoffs-{level}-from-to.csv",
                         "Download who handed to whom", key="download-transfers")
else:
    st.caption("No ticket passed from one team to another.")
widgets.how_calculated("handoffs", "clock")
