"""The filter bar, bound to the URL so that a link opens the same view."""

from __future__ import annotations

import streamlit as st

from sla import fields
from sla.metrics import Filters
from ui import data

STATUS_CHOICES = ["all", "pending", "resolved"]


def filter_bar(search: bool = False) -> Filters:
    """The sidebar filters, kept in the URL so a link opens the same view.

    An empty date means no bound: with nothing chosen the range is all the data held, also
    after an import brings older or newer tickets (never "the last N days").
    """
    span = data.data_span()
    held = (f"{span['first']:%Y-%m-%d} – {span['last']:%Y-%m-%d}" if span.get("first")
            else "no tickets yet")
    with st.sidebar:
        st.subheader("Filters")
        date_from = st.date_input("Created from", value=None, key="from", bind="query-params",
                                  format="YYYY-MM-DD", help=f"Empty: all data ({held})")
        date_to = st.date_input("Created to", value=None, key="to", bind="query-params",
                                format="YYYY-MM-DD", help=f"Empty: all data ({held})")
        teams = st.multiselect("Team", list(fields.TEAMS), key="team", bind="query-params",
                               placeholder="All teams")
        priorities = st.multiselect("Priority", span["priorities"], key="priority",
                                    bind="query-params", placeholder="All priorities")
        agents = st.multiselect("Agent", span["agents"], key="agent", bind="query-params",
                                placeholder="All agents")
        status = st.selectbox("Status", STATUS_CHOICES, key="status", bind="query-params")
        text = st.text_input("Search SR, agent, category, team", key="q",
                             bind="query-params") if search else ""
        st.caption(f"Tickets created {held}")
    return Filters(date_from=date_from, date_to=date_to, teams=tuple(teams),
                   priorities=tuple(priorities), agents=tuple(agents),
                   status_class=None if status == "all" else status,
                   search=(text or "").strip() or None)
