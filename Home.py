"""SLA Tracker: the Streamlit entry point (page config, login gate, navigation).

Run with ``streamlit run Home.py``. Pages live in ``pages/``; what they compute lives in
``sla/`` (see README.md).
"""

from pathlib import Path

import streamlit as st

from sla.core import display
from ui import auth, data

FAVICON = str(Path(__file__).parent / "ui" / "favicon.png")  # served by the app, never fetched
st.set_page_config(page_title=auth.APP_TITLE, page_icon=FAVICON, layout="wide")

PAGES = [  # (file, title, icon, admin only)
    ("pages/home.py", "Home", ":material/home:", False),
    ("pages/dashboard.py", "Dashboard", ":material/dashboard:", False),
    ("pages/agents.py", "Agent Performance", ":material/person:", False),
    ("pages/teams.py", "Team Performance", ":material/groups:", False),
    ("pages/handoffs.py", "Hand-offs", ":material/swap_horiz:", False),
    ("pages/people.py", "People", ":material/badge:", False),
    ("pages/tickets.py", "Tickets", ":material/confirmation_number:", False),
    ("pages/alerts.py", "Alerts", ":material/notifications:", False),
    ("pages/upload.py", "Upload", ":material/upload_file:", True),
    ("pages/settings.py", "Settings", ":material/settings:", True),
    ("pages/about.py", "How the numbers work", ":material/menu_book:", False),
]


def main() -> None:
    """Log in first (keeping the requested page and filters in the URL), then the pages the
    user's role allows; for a viewer an admin page's address only says it needs the admin
    role (its script is never run)."""
    user = auth.current_user()
    allowed = [st.Page(path, title=title, icon=icon, default=(title == "Home"))
               if user is None or not admin_only or user["role"] == "admin"
               else st.Page(auth.needs_admin(title), title=title, icon=icon,
                            url_path=Path(path).stem, visibility="hidden")
               for path, title, icon, admin_only in PAGES]
    page = st.navigation(allowed, position="hidden" if user is None else "sidebar")
    if user is None:
        auth.login_page()
        return
    st.sidebar.caption(f"Signed in as **{display.literal(user['username'])}** ({user['role']})")
    auth.logout_button()
    auth.remember_login()
    page.run()


def run() -> None:
    data.follow_upload_limit()
    with data.one_version_check():
        main()


data.guard_database_errors(run)
