"""SLA Tracker served with its JSON API: the pages of Home.py and /api/v1/ on one port.

Run with ``streamlit run app.py`` (``./run.sh`` and the container do). Streamlit finds the
``st.App`` below and serves Home.py's pages beside the API routes of ``sla.api``;
``streamlit run Home.py`` still serves the pages alone, without the API (nor the security
headers of ``sla.api.headers``). See docs/api.md and docs/security.md.
"""

import streamlit as st

from sla import api

app = st.App("Home.py", routes=api.routes(), middleware=api.middleware())
