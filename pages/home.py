"""Home: what the app holds and where to go."""

import datetime as dt

import streamlit as st

from sla.core import config, display
from ui import auth, data, widgets

user = auth.require_role()
span = data.data_span()
st.title(auth.APP_TITLE)
st.caption("Response and resolution SLAs of the service desk, per team and per agent.")

cols = st.columns(4)
widgets.kpi(cols[0], "Tickets held", widgets.fmt_int(span["tickets"]))
widgets.kpi(cols[1], "First created", f"{span['first']:%d %b %Y}" if span.get("first") else "–")
widgets.kpi(cols[2], "Last created", f"{span['last']:%d %b %Y}" if span.get("last") else "–")
upload = span["last_upload"]
widgets.kpi(cols[3], "Last import", f"{upload['at']:%d %b %Y}" if upload else "–")
if upload:
    st.caption(f"Last import: **{display.literal(upload['file_name'])}** by "
               f"**{display.literal(upload['user'])}** on {upload['at']:%d %b %Y %H:%M} UTC — "
               f"{upload['inserted']:,} new, {upload['updated']:,} updated, "
               f"{upload['unchanged']:,} unchanged.")

refreshed = data.last_refresh()
if refreshed:
    age = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - refreshed
    said = (f"Data last refreshed {display.hours(age.total_seconds() / 3600)} ago, by the "
            f"import that finished {refreshed:%d %b %Y %H:%M} UTC.")
    limit = config.number("SLA_STALE_AFTER_HOURS")
    if age > dt.timedelta(hours=limit):
        st.warning(f"{said} That is longer than {display.hours(limit)}: import the latest "
                   "export on the Upload page, or check the export that should arrive by "
                   "itself.", icon=":material/schedule:")
    else:
        st.caption(said)

if user["role"] == "admin":
    for level, sentence in data.drop_folders():
        (st.warning if level == "warning" else st.caption)(display.literal(sentence, None))

if not span["tickets"]:
    st.info("No tickets yet: an admin imports an export on the Upload page (or loads sample "
            "data with `./sla.sh demo`).", icon=":material/inbox:")

st.subheader("Go to")
cols = st.columns(3)
links = [("pages/dashboard.py", "Dashboard", "KPIs, trend, at-risk tickets"),
         ("pages/agents.py", "Agent Performance", "Leaderboard and one agent in detail"),
         ("pages/teams.py", "Team Performance", "L1, L2, Business side by side"),
         ("pages/tickets.py", "Tickets", "Find tickets, their history, CSV"),
         ("pages/about.py", "How the numbers work", "Every field, rule and figure explained")]
if user and user["role"] == "admin":
    links += [("pages/upload.py", "Upload", "Import this week's export"),
              ("pages/settings.py", "Settings", "SLA targets, team rules, users")]
for index, (path, title, text) in enumerate(links):
    with cols[index % 3].container(border=True):
        st.page_link(path, label=title)
        st.caption(text)
