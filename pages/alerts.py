"""Alerts: each user's own subscriptions, whatever their role. At-risk and newly breached
tickets, a digest or what each import changed, about the whole desk, a shared view or one of
their own, to their e-mail address (every subscription, and the other places a message can
go, are in Settings for admins)."""

import streamlit as st

from ui import auth, data, widgets
from ui.alerts import alerts_section

user = auth.require_role()
st.title("Alerts")
widgets.show_flash()
st.caption("Be told by e-mail when tickets are about to pass or have passed their target, on "
           "a schedule, or after each import. The list below holds your own subscriptions.")
alerts_section(data.db(), user, own=True)
