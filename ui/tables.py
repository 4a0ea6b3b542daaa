"""The tables the pages share: tickets, figures per team or agent, the backlog, the risk lists.

On screen a table keeps to the columns that fit a 1440 px window, the most important first
(what a phone shows before it scrolls sideways), and its first column stays in place when it
does scroll; the table's CSV download holds every column. Long headers are shortened on screen
and given in full as the header's tooltip.
"""

from __future__ import annotations

from urllib.parse import quote

import pandas as pd
import streamlit as st

from sla.analytics import readmodel
from sla.core import display
from ui.widgets import download_csv

TABLE_ROWS = 2000

TEXT_COLUMNS = ("status", "status_class", "priority", "category", "resolved_by", "owner",
                "agent", "team", "team_raw", "response_sla", "resolution_sla")
COUNT = "%,d"
MISSING = "–"  # what an empty cell shows (Streamlit's own default is "None")
HOURS = "%,.2f"
PERCENT = "%.1f"


# On screen the most used first, and whom the ticket is credited to in one column. In the CSV
# only: the owner and the resolver apart, the status class (the status says the same), when it
# was resolved (the record has it), the category and the team name in the file.
TICKET_COLUMNS_SHOWN = ("sr_number", "status", "priority", "team", "agent", "created",
                        "response_hours", "resolution_hours", "response_sla", "resolution_sla")


def ticket_table(frame: pd.DataFrame, **options):
    """A table of tickets with readable headers and typed columns (first TABLE_ROWS rows)."""
    number = st.column_config.NumberColumn
    text = st.column_config.TextColumn
    shown = frame.head(TABLE_ROWS)
    shown = shown.assign(agent=readmodel.credited_agent(shown)).astype(
        {c: object for c in TEXT_COLUMNS if c in frame})
    shown = shown.fillna({c: "" for c in TEXT_COLUMNS if c in frame})
    return st.dataframe(shown, hide_index=True, placeholder=MISSING,
                        column_order=TICKET_COLUMNS_SHOWN, column_config={
        "sr_number": text("SR number", pinned=True), "status": text("Status", width=100),
        "priority": "Priority", "team": text("Team", width=75),
        "agent": text("Agent", width=110, help="Whom the ticket is credited to: its resolver "
                      "once resolved, else its owner (the CSV has both)"),
        "created": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm"),
        "response_hours": number("Response", format="%.2f h",
                                 help="Working hours to the first response"),
        "resolution_hours": number("Resolution", format="%.2f h",
                                   help="Working hours to resolution"),
        "response_sla": text("Response SLA", help="Response SLA met or breached"),
        "resolution_sla": text("Resolution SLA", help="Resolution SLA met or breached")},
                        **options)


def whole_height(rows: int, most: int = 40) -> int:
    """A table's height in pixels showing up to ``most`` rows without scrolling."""
    return 35 * (min(rows, most) + 1) + 3


# Headers shortened on screen, so that a board of figures fits; the full name is the tooltip.
SHORT_LABELS = {"response_sla_pct": "Response met %", "resolution_sla_pct": "Resolution met %",
                "expected_response_sla_pct": "Expected %",
                "expected_resolution_sla_pct": "Expected %",
                "response_vs_expected": "Vs expected", "resolution_vs_expected": "Vs expected",
                "median_response_hours": "Median response (h)",
                "median_resolution_hours": "Median resolution (h)"}


def figure_table(frame: pd.DataFrame, shown: list[str] | None = None, **options):
    """A table of figures per team or agent: display names, counts with thousands
    separators, percentages to 1 decimal, hours to 2; only the ``shown`` columns when given
    (the CSV keeps the rest), the first one pinned."""
    columns = list(shown or frame.columns)
    config = {name: figure_column(frame[name], name) for name in columns}
    config[columns[0]]["pinned"] = True
    return st.dataframe(frame, hide_index=True, placeholder=MISSING, column_order=columns,
                        column_config=config, **options)


def figure_column(values: pd.Series, name: str) -> dict:
    """The column setting of one figure: its header (short, the full one as tooltip) and its
    number format."""
    label = display.label(name)
    header = SHORT_LABELS.get(name, label)
    tooltip = label if header != label else None
    if not pd.api.types.is_numeric_dtype(values):  # text, dates, or hours as "4 d 3 h"
        return st.column_config.Column(header, help=tooltip)
    return st.column_config.NumberColumn(header, help=tooltip, format=number_format(values,
                                                                                     name))


def number_format(values: pd.Series, name: str) -> str | None:
    if name.endswith("_pct"):
        return PERCENT
    if name.endswith(("_hours", "hours_held")):
        return HOURS
    if name.endswith(("_vs_expected", "_low", "_high")) or name in ("fair_score", "points"):
        return "%+.1f"
    if name == "score":
        return "%.2f"
    return COUNT if pd.api.types.is_integer_dtype(values) else None


def performer_table(rows: list[dict]) -> None:
    """The top performers: agent, tickets, both SLA met %, score."""
    number = st.column_config.NumberColumn
    frame = pd.DataFrame(rows, columns=["agent", "total_tickets", "response_sla_pct",
                                        "resolution_sla_pct", "score"])
    if frame.empty:
        st.caption("No agent has enough tickets for a score yet.")
        return
    st.dataframe(frame, hide_index=True, placeholder=MISSING, column_config={
        "agent": st.column_config.TextColumn("Agent", width="medium"),
        "total_tickets": number("Tickets", format=COUNT, width="small"),
        "response_sla_pct": number("Response %", format=PERCENT, width="small",
                                   help="Response SLA met %"),
        "resolution_sla_pct": number("Resolution %", format=PERCENT, width="small",
                                     help="Resolution SLA met %"),
        "score": number("Score", format="%.1f", width="small")})


CLOCK_BASES = {"now": "now", "import": "the time of the latest import",
               "data": "the latest date in the data"}


def risk_caption(result: dict, settings: dict) -> str:
    """The time the overdue and at-risk lists are measured at, and what they hold."""
    if result["as_of"] is None:
        return "No open ticket has a created date to measure from."
    counts = result["counts"]
    when = (f"Measured now ({result['as_of']:%d %b %Y %H:%M})" if result["clock"] == "now"
            else f"Data as of {result['as_of']:%d %b %Y %H:%M} "
                 f"({CLOCK_BASES[result['clock']]}), not now")
    share = f"{settings['at_risk_fraction']:.0%}"
    within = (f" or with {display.hours(settings['at_risk_hours'])} or less left"
              if settings["at_risk_hours"] else "")
    paused = (f" {display.count(counts['paused'], 'open ticket')} in a paused status are in "
              "neither list: their clock stands still." if counts["paused"] else "")
    return (f"{when}, in working hours of each team's calendar. Overdue: past the resolution "
            f"target. At risk: past {share} of it{within}. Least time left first.{paused}")


def backlog_table(result: dict) -> None:
    """Each owner's open tickets by age, overdue and at risk, with the moment they are
    measured at and the desk's totals; its CSV."""
    if result["as_of"] is None or not result["agents"]:
        st.caption("No open ticket has an owner.")
        return
    total = result["total"]
    when = (f"now ({result['as_of']:%d %b %Y %H:%M})" if result["clock"] == "now"
            else f"as of {result['as_of']:%d %b %Y %H:%M} ({CLOCK_BASES[result['clock']]})")
    st.caption(f"Open tickets by owner, measured {when}. The desk: "
               f"{display.count(total['open'], 'open ticket')}, {total['overdue']:,} overdue, "
               f"{total['at_risk']:,} at risk. Age in calendar days since created.")
    frame = pd.DataFrame(result["agents"])
    figure_table(frame, height=whole_height(min(len(frame), 12)), key="backlog")
    download_csv(frame, "backlog.csv", "Download backlog CSV", key="download-backlog")


def risk_table(rows: list[dict], state: str) -> None:
    """One of the risk lists (``state`` "overdue" or "at risk"): time used and left in days
    and hours, a link to each ticket; its CSV with hours."""
    frame = pd.DataFrame([r for r in rows if r["state"] == state], columns=RISK_COLUMNS)
    if frame.empty:
        st.caption("No ticket." if state == "overdue" else "No ticket close to its target.")
        return
    shown = frame.fillna({"agent": "", "status": ""}).assign(
        link=[f"tickets?sr={quote(str(sr))}" for sr in frame["sr_number"]],
        used=frame["worked_hours"].map(display.hours),
        target=frame["target_hours"].map(display.hours),
        left=(-frame["hours_left"] if state == "overdue" else frame["hours_left"])
        .map(display.hours))
    st.dataframe(shown[["sr_number", "left", "link", "priority", "team", "agent", "status",
                        "used", "target", "created"]], hide_index=True, placeholder=MISSING,
                 column_config={
        "sr_number": st.column_config.TextColumn("SR number"),
        "link": st.column_config.LinkColumn("Ticket", display_text="Open",
                                            help="Opens the ticket on the Tickets page"),
        "left": st.column_config.TextColumn(
            "Overdue by" if state == "overdue" else "Time left",
            help="Working hours of the team's calendar"),
        "priority": "Priority", "team": "Team", "agent": "Owner", "status": "Status",
        "used": st.column_config.TextColumn("Time used", help="Working hours since created, "
                                            "paused time left out"),
        "target": "Resolution target",
        "created": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm")})
    name = "overdue" if state == "overdue" else "at-risk"
    download_csv(frame.rename(columns=RISK_CSV_HEADERS), f"{name}.csv",
                 f"Download {state} CSV", key=f"download-{name}")


RISK_COLUMNS = ["sr_number", "priority", "team", "agent", "status", "created",
                "calendar", "worked_hours", "target_hours", "hours_left"]
RISK_CSV_HEADERS = {"sr_number": "SR number", "priority": "Priority", "team": "Team",
                    "agent": "Owner", "status": "Status", "created": "Created",
                    "calendar": "Calendar", "worked_hours": "Working hours used",
                    "target_hours": "Resolution target (h)", "hours_left": "Hours left"}


