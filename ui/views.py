"""Saved views on the filter bar: open one, save the filters in force as one, remove one.

Opening a view sets the filter bar's own widgets (in a callback, before they are drawn), so
the URL then carries the view's filters like any other link; what the view names that no
longer applies is said in one line, and the rest applies.
"""

from __future__ import annotations

import streamlit as st

from sla.core import display
from sla.core.filters import Filters
from sla.service import views
from ui import auth, data, widgets

PICK_KEY = "view_pick"
NOTICE_KEY = "view_opened"


def open_picked(username: str) -> None:
    """Set the filter bar to the view just picked (the pick is cleared: the filters say it)."""
    name = st.session_state.get(PICK_KEY)
    st.session_state[PICK_KEY] = None
    if not name:
        return
    try:
        opened = views.open_view(data.db(), name, username)
    except views.ViewError as exc:
        st.session_state[NOTICE_KEY] = (str(exc), True)
        return
    chosen = opened.filters
    st.session_state.update({"from": chosen.date_from, "to": chosen.date_to,
                             "team": list(chosen.teams), "priority": list(chosen.priorities),
                             "agent": list(chosen.agents),
                             "status": chosen.status_class or "all", "q": chosen.search or ""})
    left_out = " ".join(str(problem) for problem in opened.left_out)
    st.session_state[NOTICE_KEY] = (
        f"Opened the view ‘{opened.name}’." + (f" No longer applied: {left_out}" if left_out
                                              else ""), bool(left_out))


def views_row(chosen: Filters) -> None:
    """The saved views a user may open, and saving or removing one (inside the filter bar)."""
    user = auth.current_user()
    if user is None:
        return
    widgets.show_flash()
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        text, warn = notice
        (st.warning if warn else st.success)(display.literal(text, limit=None),
                                             icon=":material/bookmark:")
    mine = views.views_for(data.db(), user["username"])
    pick, save = st.columns([3, 1], vertical_alignment="bottom")
    pick.selectbox("Saved view", [v["name"] for v in mine], index=None, key=PICK_KEY,
                   placeholder="Open a saved view" if mine else "No saved view yet",
                   format_func=lambda name: _label(name, mine), on_change=open_picked,
                   args=(user["username"],), disabled=not mine)
    with save.popover("Save as a view", icon=":material/bookmark_add:", width="stretch"):
        save_form(user, chosen)
        remove_form(user, mine)


def _label(name: str, mine: list[dict]) -> str:
    shared = any(v["name"] == name and v["shared"] for v in mine)
    own = any(v["name"] == name and not v["shared"] for v in mine)
    return display.clean(name, 60) + (" (shared)" if shared and not own else "")


def save_form(user: dict, chosen: Filters) -> None:
    """Name the filters in force; admins may share the view with everyone."""
    with st.form("save_view", border=False):
        name = st.text_input("Name", max_chars=views.MAX_NAME, placeholder="e.g. L2 this month")
        shared = st.checkbox("Share with everyone", help="Only admins can share a view.",
                             disabled=user["role"] != "admin")
        if st.form_submit_button("Save view", type="primary", icon=":material/bookmark_add:"):
            try:
                is_new = views.save_view(data.db(), user, name, chosen, shared)
            except views.ViewError as exc:
                st.error(display.literal(str(exc)))
                return
            widgets.flash(f"{'Saved' if is_new else 'Updated'} the view "
                          f"‘{display.literal(name.strip(), 60)}’.")
            st.rerun()


def remove_form(user: dict, mine: list[dict]) -> None:
    """Remove one of the user's own views, or (admins) a shared one, after a confirmation."""
    removable = [v for v in mine if not v["shared"] or user["role"] == "admin"]
    if not removable:
        return
    st.divider()
    labels = {f"{'s' if v['shared'] else 'o'}:{v['name']}": v for v in removable}
    picked = st.selectbox("Remove a view", list(labels), index=None, key="view_remove",
                          format_func=lambda key: _label(labels[key]["name"], [labels[key]]))
    if picked is None:
        return
    view = labels[picked]
    widgets.confirm_button(
        "Remove view", "Remove this view?",
        f"The view ‘{display.literal(view['name'], 60)}’"
        f"{' (shared with everyone)' if view['shared'] else ''} will be gone for good.",
        "Remove", lambda: _remove(user, view), key="remove_view",
        icon=":material/bookmark_remove:")


def _remove(user: dict, view: dict) -> str:
    views.remove_view(data.db(), user, view["name"], shared=view["shared"])
    return f"Removed the view ‘{display.literal(view['name'], 60)}’."
