"""Tickets: find tickets, read one in full with its history; admins edit or delete."""

import pandas as pd
import streamlit as st

from sla.core import display
from sla.service import edits
from ui import auth, data, filters, widgets

user = auth.require_role()
st.title("Tickets")
filters = filters.filter_bar(search=True)
frame = data.tickets(filters)
widgets.stop_if_empty(len(frame), user)
st.caption(f"{display.count(len(frame), 'ticket')} match"
           + (f"; the first {widgets.TABLE_ROWS:,} are shown, the download has all"
              if len(frame) > widgets.TABLE_ROWS else ""))
selection = widgets.ticket_table(frame, on_select="rerun", selection_mode="single-row",
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
                 hide_index=True, placeholder=widgets.MISSING,
                 height=widgets.whole_height(len(names)),
                 column_config={"field": "Field", "value": "Value"})
with right:
    st.markdown("**Columns kept from the file**")
    extra = ticket.get("extra") or {}
    st.dataframe(pd.DataFrame({"column": list(extra),
                               "value": [display.value(v) for v in extra.values()]}),
                 hide_index=True, placeholder=widgets.MISSING,
                 height=widgets.whole_height(len(extra)),
                 column_config={"column": "Column", "value": "Value"})

st.markdown("**History across imports and edits**")
history = data.ticket_history(sr)
if history:
    st.dataframe(pd.DataFrame([{"at": h["at"], "by": h["user"], "kind": h["kind"],
                                "field": display.label(f), "old": display.value(c["old"]),
                                "new": display.value(c["new"])}
                               for h in history for f, c in h["changes"].items()]),
                 hide_index=True, placeholder=widgets.MISSING, column_config={
                     "at": st.column_config.DatetimeColumn("When (UTC)",
                                                           format="YYYY-MM-DD HH:mm"),
                     "by": "By", "kind": "Change", "field": "Field", "old": "Before",
                     "new": "After"})
else:
    st.caption("No change since it was first imported.")

if user and user["role"] == "admin":
    with st.expander("Edit or delete (admin)", icon=":material/edit:"):
        with st.form("edit_ticket"):
            values = {name: st.text_input(label, value=ticket.get(name) or "")
                      for name, label in [("status", "Status"), ("priority_raw", "Priority"),
                                          ("category", "Category"), ("owner", "Owner"),
                                          ("resolved_by", "Resolved by"),
                                          ("team_raw", "Team (raw)")]}
            if st.form_submit_button("Save changes", type="primary"):
                changes = edits.edit_ticket(data.db(), sr, edits.cleaned(values),
                                            user["username"])
                st.success(f"Saved: {', '.join(changes) or 'nothing changed'}.")
        confirm = st.checkbox(f"Yes, delete ticket {display.literal(sr)}")
        if st.button("Delete ticket", disabled=not confirm, icon=":material/delete:"):
            edits.delete_ticket(data.db(), sr, user["username"])
            st.success(f"Ticket {display.literal(sr)} deleted (recorded in its history).")
