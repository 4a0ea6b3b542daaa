"""Subscriptions on screen. The Alerts page: a user's own (to their e-mail, about the whole desk,
a shared view or one of their own). Settings (admins): every subscription, to an address, a
team's lead, a person or a webhook, and the Deliveries tab, what was sent, to whom and when,
with each failure's reason. Both end a subscription or send it now."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from pymongo.database import Database

from sla.core import display
from sla.service import alerts, views
from ui import tables, widgets

KIND_LABELS = {"at-risk": "At risk: tickets about to pass their target",
               "breached": "Newly breached tickets", "digest": "Digest of the view's figures",
               "after-import": "What each import changed"}
ZONES = ("UTC", "Europe/London", "Europe/Madrid", "Europe/Berlin", "America/New_York",
         "America/Chicago", "America/Los_Angeles", "Asia/Kolkata", "Asia/Singapore",
         "Australia/Sydney")
SUBSCRIPTION_COLUMNS = {"id": "Id", "kind": "Kind", "to": "To", "view": "View",
                        "timing": "When", "created_by": "Made by"}
DELIVERY_COLUMNS = {"queued_at": "Queued (UTC)", "kind": "Kind", "to": "To",
                    "status": "Status", "attempts": "Tries", "sent_at": "Sent (UTC)",
                    "error": "Last error", "next_try": "Next try (UTC)"}
ANY_TO = {"placeholder": "ann@example.com, team:L2, person:Ann or https://hooks…",
          "help": "An e-mail address, a team's lead (team:NAME), a person of the directory "
                  "(person:NAME) or a webhook URL"}
OWN_TO = {"placeholder": "you@example.com", "help": "Your e-mail address"}
_WHEN = {"format": "YYYY-MM-DD HH:mm", "width": 125}
# Widths that keep the eight columns inside a 1440 px window; a long error is read in full
# by widening its column or in the cell's tooltip.
DELIVERY_WIDTHS = {
    "Queued (UTC)": st.column_config.DatetimeColumn(**_WHEN),
    "Kind": st.column_config.TextColumn(width=85), "To": st.column_config.TextColumn(width=140),
    "Status": st.column_config.TextColumn(width=75),
    "Tries": st.column_config.NumberColumn(width=50),
    "Sent (UTC)": st.column_config.DatetimeColumn(**_WHEN),
    "Last error": st.column_config.TextColumn(width=180),
    "Next try (UTC)": st.column_config.DatetimeColumn(**_WHEN)}


def alerts_section(database: Database, user: dict, own: bool = False) -> None:
    """The subscriptions: a form that adds one, the list, and ending or testing one;
    ``own``: only the user's own (the Alerts page), else every one (Settings, admins)."""
    st.caption("Sent by the scheduler (`./sla.sh alerts serve`, the compose service "
               "“scheduler”) at each pass; a ticket is reported once per reason. How each kind "
               "works: docs/alerts.md.")
    made_by = user["username"] if own else None
    subscription_form(database, user, own)
    rows = alerts.list_subscriptions(database, made_by)
    if not rows:
        st.caption("No subscription yet." if not own else "You have no subscription yet.")
        return
    st.dataframe(subscription_table(rows), hide_index=True, placeholder=tables.MISSING)
    chosen = st.selectbox("Subscription", rows, key="subscription_pick",
                          format_func=lambda row: f"{row['id']} · {row['kind']} · "
                                                  f"{display.clean(row['to'], 60)}")
    left, right, _ = st.columns([1, 1, 2])
    if left.button("Send it now", icon=":material/send:"):
        _send_now(database, chosen["id"], made_by)
    with right:
        widgets.confirm_button(
            "End this subscription…", "End the subscription?",
            f"No more messages to **{display.literal(chosen['to'], 60)}** "
            f"({display.literal(chosen['kind'])}).", "End it",
            lambda: _remove(database, chosen["id"], made_by), key="remove_subscription")


def _send_now(database: Database, subscription_id: str, made_by: str | None) -> None:
    try:
        outcome = alerts.send_test(database, subscription_id, made_by=made_by)
    except alerts.AlertError as exc:
        st.error(display.literal(str(exc), None))
    else:
        (st.success if outcome["sent"] else st.warning)(
            "Sent." if outcome["sent"] else "Not sent yet; it is tried again"
            + (" (Settings, Deliveries, says why)." if made_by is None else "."))


def subscription_form(database: Database, user: dict, own: bool) -> None:
    """Subscribe a place to one kind of message about a view or the whole desk: any place
    and a shared view (Settings), or the user's own address and a shared or own view."""
    choices = [v["name"] for v in views.views_for(database, user["username"] if own else None)]
    with st.form("add_subscription", clear_on_submit=True):
        st.markdown("**Subscribe**")
        top = st.columns([2, 2, 2])
        kind = top[0].selectbox("Kind", list(KIND_LABELS), format_func=KIND_LABELS.get)
        view = top[1].selectbox("View", [None, *choices], format_func=lambda name: (
            "The whole desk" if name is None else display.clean(name, 60)),
            help=("Shared views and your own" if own else "Shared views")
            + " (save one from a page's filter bar)")
        to = top[2].text_input("To", **(OWN_TO if own else ANY_TO))
        timing = st.columns(3)
        within = timing[0].text_input("At risk: within", value=alerts.DEFAULT_WITHIN,
                                      help="Working time ahead, e.g. 4h, 90m, 2d")
        every = timing[1].text_input("Digest: every", value="weekly mon 08:00",
                                     help="daily HH:MM or weekly DAY HH:MM")
        zone = timing[2].selectbox("Time zone", ZONES)
        attach = st.checkbox("Digest: attach the report workbook",
                             help="The view's Monday report (.xlsx) with each e-mailed digest")
        add = st.form_submit_button("Subscribe", type="primary",
                                    icon=":material/notifications_active:")
    if not add:
        return
    target = (to or "").strip()
    webhook = target if target.lower().startswith(("http://", "https://")) else None
    asked = alerts.Request(kind, None if webhook else target, webhook, view, None,
                           within if kind == "at-risk" else None,
                           every if kind == "digest" else None, zone, attach)
    try:
        made = (alerts.add_own_subscription(database, asked, user) if own else
                alerts.add_subscription(database, asked, by=user["username"]))
    except alerts.AlertError as exc:
        st.error(display.literal(str(exc), None))
        return
    widgets.flash(f"Subscribed: {display.literal(made['to'], 60)} gets "
                  f"{KIND_LABELS[made['kind']].lower()} (id {made['id']}).")
    st.rerun()


def subscription_table(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame([{**row, "view": row["view"] or "The whole desk", "timing": (
        f"within {row['within_hours']:g} h" if row["within_hours"] else
        f"{row['every']} ({row['zone']})" if row["every"] else "each pass")
        + (", with the workbook" if row["attach"] else "")} for row in rows])
    return frame[list(SUBSCRIPTION_COLUMNS)].rename(columns=SUBSCRIPTION_COLUMNS)


def _remove(database: Database, subscription_id: str, made_by: str | None) -> str:
    alerts.remove_subscription(database, subscription_id, made_by)
    return f"Ended subscription {subscription_id}."


def deliveries_section(database: Database) -> None:
    """What was sent, to whom and when; what failed and why; what is tried again."""
    records = alerts.recent_deliveries(database)
    if not records:
        st.caption("Nothing sent yet.")
        return
    frame = pd.DataFrame([{**r, "error": (r["errors"][-1]["error"] if r["errors"] else None)}
                          for r in records], columns=[*DELIVERY_COLUMNS, "errors"])
    failed = int((frame["status"] == "failed").sum())
    if failed:
        st.warning(f"{display.count(failed, 'delivery', 'deliveries')} failed for good; the "
                   "last error says why.", icon=":material/error:")
    st.dataframe(frame[list(DELIVERY_COLUMNS)].rename(columns=DELIVERY_COLUMNS),
                 hide_index=True, placeholder=tables.MISSING, column_config=DELIVERY_WIDTHS)
    st.caption("The newest 200. A failed hand-over is tried again after 1, 5 and 30 minutes "
               "and 2 hours, then marked failed.")
