"""The filter bar, bound to the URL so that a link opens the same view.

It sits at the top of each page (not in the sidebar, which a phone hides), folded away under
"Filters", with one line under it saying what is shown.
"""

from __future__ import annotations

import streamlit as st

from sla.core import display, filters
from sla.core.filters import Filters
from sla.core.params import ParamError
from ui import data, views, widgets

STATUS_CHOICES = ["all", "pending", "resolved"]
PRESET_KEY = "date_preset"
NOTICE_KEY = "filters_not_applied"  # (page, message) of values a link named but cannot apply


def held_range(span: dict) -> str:
    """The created dates held, e.g. "2024-01-02 – 2024-06-30", or "no tickets yet"."""
    if not span.get("first"):
        return "no tickets yet"
    return f"{span['first']:%Y-%m-%d} – {span['last']:%Y-%m-%d}"


def apply_preset(anchor) -> None:
    """Set the date inputs to the preset picked (then clear the pick: the dates say it)."""
    code = st.session_state.get(PRESET_KEY)
    if code:
        st.session_state["from"], st.session_state["to"] = filters.preset_range(code, anchor)
    st.session_state[PRESET_KEY] = None


def link_notice(known: filters.Known) -> None:
    """Name, in one line, what the page's link asked for that the filter bar cannot apply.

    The bar's widgets drop such values from the URL themselves (and apply the rest), so the
    link is read before them; the notice stays for the page it was opened on.
    """
    texts = {p.name: st.query_params.get_all(p.name)
             for p in (*filters.PARAMS, filters.SEARCH) if p.name in st.query_params}
    page = (st.context.url or "").split("?")[0]
    found = filters.problems(texts, known) if texts else []
    if found:
        st.session_state[NOTICE_KEY] = (page, " ".join(str(p) for p in found))
    shown = st.session_state.get(NOTICE_KEY)
    if shown and shown[0] == page:
        st.warning(f"Not applied from the link: {display.literal(shown[1], limit=None)} The "
                   "other filters apply.", icon=":material/filter_alt_off:")
    elif shown:
        del st.session_state[NOTICE_KEY]


def filter_bar(search: bool = False) -> Filters:
    """The filters, kept in the URL so a link opens the same view.

    An empty date means no bound: with nothing chosen the range is all the data held, also
    after an import brings older or newer tickets (never "the last N days").
    """
    span = data.data_span()
    team_names = data.team_names()
    known = filters.Known(teams=team_names, priorities=span["priorities"],
                          agents=span["agents"])
    link_notice(known)
    held = held_range(span)
    with st.expander("Filters", icon=":material/filter_list:"):
        saved_views = st.container()
        if span.get("last"):
            anchor = span["last"].date()
            st.pills("Created", list(filters.PRESETS), format_func=filters.PRESETS.get,
                     key=PRESET_KEY, on_change=apply_preset, args=(anchor,),
                     help=f"Counted back from the last day tickets were created ({anchor}).")
        dates = st.columns(2)
        date_from = dates[0].date_input("Created from", value=None, key="from",
                                        bind="query-params", format="YYYY-MM-DD",
                                        help=f"Empty: from the first ticket held ({held})")
        date_to = dates[1].date_input("Created to", value=None, key="to", bind="query-params",
                                      format="YYYY-MM-DD",
                                      help=f"Empty: to the last ticket held ({held})")
        choices = st.columns(4)
        teams = choices[0].multiselect("Team", list(team_names), key="team",
                                       bind="query-params", placeholder="All teams")
        priorities = choices[1].multiselect("Priority", span["priorities"], key="priority",
                                            bind="query-params", placeholder="All priorities")
        agents = choices[2].multiselect("Agent", span["agents"], key="agent",
                                        bind="query-params", placeholder="All agents",
                                        format_func=display.clean)
        status = choices[3].selectbox("Status", STATUS_CHOICES, key="status",
                                      bind="query-params")
        text = st.text_input("Search SR, agent, category, status or raw team", key="q",
                             bind="query-params") if search else ""
    try:
        chosen = filters.parse(filters.texts_of({
            "from": date_from, "to": date_to, "team": teams, "priority": priorities,
            "agent": agents, "status": None if status == "all" else status, "q": text}),
            known)
    except ParamError as exc:
        st.error(display.literal(str(exc)), icon=":material/filter_alt_off:")
        st.stop()
    with saved_views:
        views.views_row(chosen)
    if span.get("first"):
        st.caption(chosen.describe(held))
    st.sidebar.caption(f"Tickets created: {held}" if span.get("first") else "No tickets yet")
    if span.get("first"):
        widgets.download_report(chosen)
    return chosen
