"""Tickets: find tickets, read one in full with its history; admins edit or delete."""

import pandas as pd
import streamlit as st

from sla.core import display
from sla.service import edits
from ui import auth, data, filters, tables, widgets

EDITABLE = ("status", "priority_raw", "category", "owner", "resolved_by", "resolved_at",
            "team_raw")
KINDS = {"import": "Import", "edit": "Edit", "delete": "Delete", "undo": "Import undone"}

user = auth.require_role()
st.title("Tickets")
widgets.show_flash()
filters = filters.filter_bar(search=True)
frame = data.tickets(filters)
widgets.stop_if_empty(len(frame), user)
st.caption(f"{display.count(len(frame), 'ticket')} match"
           + (f"; the first {tables.TABLE_ROWS:,} are shown, the download has all"
              if len(frame) > tables.TABLE_ROWS else ""))
selection = tables.ticket_table(frame, on_select="rerun", selection_mode="single-row",
                                 key="ticket_table")
widgets.download_csv(frame, "tickets.csv", "Download these tickets (CSV)")

st.divider()
picked = selection.selection.rows if selection else []
default = frame.iloc[picked[0]]["sr_number"] if picked else st.query_params.get("sr", "")
sr = st.text_input("Open ticket (SR number)", value=default, key="sr").strip()
if not sr:
    st.caption("Pick a row above or type an SR number to see the full record and its history.")
    st.stop()
ticket = data.ticket(sr)
if ticket is None:
    st.warning(f"No ticket {display.literal(sr)}.")
    st.stop()

st.subheader(f"Ticket {display.literal(sr)}")
left, right = st.columns(2)
with left:
    st.markdown("**Fields**")
    names = ["status", "status_class", "priority", "priority_raw", "category", "created",
             "resolved_at", "resolved_by", "owner", "team", "team_raw", "response_hours",
             "resolution_hours", "response_sla", "response_sla_raw", "resolution_sla",
             "resolution_sla_raw", "imported_at", "updated_at"]
    st.dataframe(pd.DataFrame({"field": [display.label(n) for n in names],
                               "value": [display.value(ticket.get(n)) for n in names]}),
                 hide_index=True, placeholder=tables.MISSING,
                 height=tables.whole_height(len(names)),
                 column_config={"field": "Field", "value": "Value"})
with right:
    st.markdown("**Columns kept from the file**")
    extra = ticket.get("extra") or {}
    st.dataframe(pd.DataFrame({"column": list(extra),
                               "value": [display.value(v) for v in extra.values()]}),
                 hide_index=True, placeholder=tables.MISSING,
                 height=tables.whole_height(len(extra)),
                 column_config={"column": "Column", "value": "Value"})

timeline = ticket.get("timeline") or []
if timeline:
    st.markdown("**Team and status over time**")
    st.dataframe(pd.DataFrame([{"at": p.get("at"), "team": display.value(p.get("team_raw")),
                                "status": display.value(p.get("status")),
                                "exact": "from the file" if p.get("exact") else
                                "seen between two imports"} for p in timeline]),
                 hide_index=True, placeholder=tables.MISSING, column_config={
                     "at": st.column_config.DatetimeColumn("From (UTC)",
                                                           format="YYYY-MM-DD HH:mm"),
                     "team": display.label("team_raw"), "status": display.label("status"),
                     "exact": "When known"})

st.markdown("**History across imports and edits**")
history = data.ticket_history(sr)
if history:
    st.dataframe(pd.DataFrame([{"at": h["at"], "by": h["user"],
                                "kind": KINDS.get(h["kind"], h["kind"]),
                                "field": display.label(f), "old": display.value(c["old"]),
                                "new": display.value(c["new"])}
                               for h in history for f, c in h["changes"].items()]),
                 hide_index=True, placeholder=tables.MISSING, column_config={
                     "at": st.column_config.DatetimeColumn("When (UTC)",
                                                           format="YYYY-MM-DD HH:mm"),
                     "by": "By", "kind": "Change", "field": "Field", "old": "Before",
                     "new": "After"})
else:
    st.caption("No change since it was first imported.")
if ticket.get("overrides"):
    st.caption("Edited here, kept over later files: " + ", ".join(
        display.label(name) for name in ticket["overrides"]) + ".")


def form_text(name: str) -> str:
    """A field's value as the edit form shows it (blank when missing)."""
    return display.value(ticket.get(name)) if ticket.get(name) is not None else ""


def save_edit(values: dict) -> None:
    """Save the fields whose text was changed (a value shown and left as it is stays as
    stored, to the second), then show the record as saved."""
    typed = {name: text for name, text in values.items() if text != form_text(name)}
    try:
        changes = edits.edit_ticket(data.db(), sr, edits.cleaned(typed), user["username"])
    except edits.EditError as exc:
        st.error(f"Not saved: {display.literal(str(exc), None)}.", icon=":material/error:")
        return
    widgets.flash("Saved: " + (", ".join(display.label(n) for n in changes) or "nothing changed")
                  + ". A later import keeps these values unless told to take the file's.")
    st.rerun()


def delete() -> str:
    edits.delete_ticket(data.db(), sr, user["username"])
    return f"Ticket {display.literal(sr)} deleted (recorded in its history)."


if user and user["role"] == "admin":
    with st.expander("Edit or delete (admin)", icon=":material/edit:"):
        with st.form("edit_ticket"):
            values = {name: st.text_input(display.label(name), value=form_text(name))
                      for name in EDITABLE}
            if st.form_submit_button("Save changes", type="primary"):
                save_edit(values)
        widgets.confirm_button(
            "Delete ticket…", "Delete the ticket?",
            f"Delete ticket **{display.literal(sr)}**? Its figures go; its history keeps the "
            "values it had. A later import of a file that holds it adds it again.",
            "Delete the ticket", delete, key="delete_ticket", icon=":material/delete:")
