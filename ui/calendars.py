"""The Calendars part of Settings: the business-hours calendars and the teams that use them,
a form that adds (or replaces) one, one that assigns a calendar to teams, one that removes a
calendar no team uses. Each change is checked whole and re-derives the stored tickets, like
any rule change (``sla.service.rules_admin``)."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from pymongo.database import Database

from sla.core import display, rule_form
from sla.core.calendars import ALWAYS, ALWAYS_CALENDAR
from sla.core.rule_text import RuleError
from sla.core.sla_clock import calendar_name
from sla.core.teams import team_names
from sla.service import rules_admin
from ui import settings_form

HOURS_HELP = ("One line per set of days: days, then one or more windows, e.g. "
              "“Mon-Fri 08:00-12:00 13:00-17:00” and “Sat 09:00-13:00”. 24:00 ends a day.")


def calendar_table(settings: dict) -> pd.DataFrame:
    """Every calendar with its hours, zone, holidays and the teams using it."""
    rows = []
    for calendar in [ALWAYS_CALENDAR, *settings["calendars"]]:
        teams = [t for t in team_names(settings) if calendar_name(t, settings) == calendar["name"]]
        rows.append({"Calendar": calendar["name"], "Working hours": "; ".join(calendar["hours"]),
                     "Time zone": calendar["timezone"],
                     "Holidays": len(calendar.get("holidays", [])),
                     "Used by": ", ".join(teams) or "–"})
    return pd.DataFrame(rows)


def calendars_section(database: Database, admin: dict, settings: dict) -> None:
    """Show, add, assign and remove calendars."""
    st.caption("The SLA clock counts working hours of each team's calendar; the built-in 24x7 "
               "counts every hour. See the page “How the numbers work”, section “The SLA "
               "clock”.")
    st.dataframe(calendar_table(settings), hide_index=True)
    generation = settings_form.generation()
    names = [ALWAYS, *(c["name"] for c in settings["calendars"])]
    _add_form(database, admin, settings, generation)
    _assign_form(database, admin, settings, names, generation)
    _remove_form(database, admin, names[1:], generation)


def _add_form(database: Database, admin: dict, current: dict, generation: int) -> None:
    with st.form(f"add-calendar-{generation}"):
        st.markdown("**Add a calendar** (a name already used replaces that calendar)")
        columns = st.columns(2)
        name = columns[0].text_input("Name", key=f"calendar-name-{generation}")
        zone = columns[1].text_input("Time zone", "UTC", help="An IANA name such as "
                                     "Europe/Madrid: the file's times are read in it.",
                                     key=f"calendar-zone-{generation}")
        hours = st.text_area("Working hours", "Mon-Fri 08:00-18:00", help=HOURS_HELP,
                             key=f"calendar-hours-{generation}")
        holidays = st.text_area("Holidays (one date per line, YYYY-MM-DD)",
                                key=f"calendar-holidays-{generation}")
        upload = st.file_uploader("Or load holidays from a file", type=["ics", "csv", "txt"],
                                  help="An iCalendar (.ics) file, or a CSV with a date in "
                                       "its first column.", key=f"calendar-file-{generation}")
        add = st.form_submit_button("Save calendar")
    if not add:
        return
    calendar = {"name": name, "timezone": zone.strip(),
                "hours": rule_form.statuses_from_text(hours),
                "holidays": rule_form.statuses_from_text(holidays)}
    files = [(upload.getvalue(), upload.name)] if upload is not None else []
    try:
        moved, replaced = rules_admin.add_calendar(database, calendar, files, admin["username"])
    except RuleError as exc:
        st.error(display.literal(exc, None))
        return
    settings_form.done(f"Calendar {display.literal(name.strip())} "
                       f"{'replaced' if replaced else 'added'}. "
                       + settings_form.saved_text(database, current, moved))


def _assign_form(database: Database, admin: dict, current: dict, names: list[str],
                 generation: int) -> None:
    with st.form(f"assign-calendar-{generation}"):
        st.markdown("**Assign a calendar**")
        columns = st.columns(2)
        name = columns[0].selectbox("Calendar", names, key=f"assign-name-{generation}")
        teams = columns[1].multiselect("Teams (none: every team)", list(team_names(current)),
                                       key=f"assign-teams-{generation}")
        assign = st.form_submit_button("Assign")
    if not assign:
        return
    try:
        moved = rules_admin.assign_calendar(database, name, teams, admin["username"])
    except RuleError as exc:
        st.error(display.literal(exc, None))
        return
    who = ", ".join(teams) if teams else "Every team"
    settings_form.done(f"{who} now on {display.literal(name)}. "
                       + settings_form.saved_text(database, current, moved))


def _remove_form(database: Database, admin: dict, names: list[str], generation: int) -> None:
    if not names:
        return
    with st.form(f"remove-calendar-{generation}"):
        st.markdown("**Remove a calendar**")
        name = st.selectbox("Calendar", names, key=f"remove-name-{generation}")
        sure = st.checkbox("Yes, remove it", key=f"remove-sure-{generation}")
        remove = st.form_submit_button("Remove")
    if not remove:
        return
    if not sure:
        st.info("Tick “Yes, remove it” to remove the calendar.")
        return
    try:
        rules_admin.remove_calendar(database, name, admin["username"])
    except RuleError as exc:
        st.error(display.literal(exc, None))
        return
    settings_form.done(f"Calendar {display.literal(name)} removed.")
