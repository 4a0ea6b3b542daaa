"""The login gate: streamlit-authenticator over the users kept in MongoDB, roles, logout."""

from __future__ import annotations

import streamlit as st
import streamlit_authenticator as stauth
from pymongo.database import Database

from sla import config, users
from ui import data

APP_TITLE = "SLA Tracker"
COOKIE_NAME = "sla_tracker_auth"
COOKIE_DAYS = 1.0


def _authenticator(credentials: dict) -> stauth.Authenticate:
    return stauth.Authenticate(credentials, cookie_name=COOKIE_NAME,
                               cookie_key=config.cookie_key(), cookie_expiry_days=COOKIE_DAYS,
                               auto_hash=False)


@st.cache_data(show_spinner=False, max_entries=256, ttl=60)
def _user(username: str, users_version: int) -> dict | None:
    """A user's record, read again whenever users, roles or passwords change."""
    return users.get_user(data.db(), username)


def current_user() -> dict | None:
    """The logged-in user (fresh from the database), or None."""
    username = st.session_state.get("username") if st.session_state.get("authentication_status") else None
    if not username:
        return None
    user = _user(username, data.versions()["users"])
    if user is None:  # removed while logged in
        st.session_state["authentication_status"] = None
        return None
    return user


def login_page() -> None:
    """The login form (or, on a fresh install, the first admin's setup form)."""
    database = data.db()
    st.title(APP_TITLE)
    if not users.has_users(database):
        first_admin_form(database)
        return
    if st.session_state.get("authentication_status"):
        return
    credentials = users.credentials(database)
    authenticator = _authenticator(credentials)
    try:
        authenticator.login(location="main", key="login",
                            fields={"Form name": "Log in", "Username": "User name",
                                    "Password": "Password", "Login": "Log in"},
                            callback=lambda info: users.record_login(database, info["username"]))
    except stauth.utilities.LoginError as exc:
        st.error(str(exc))
    failed = [name for name, entry in credentials["usernames"].items()
              if entry.get("failed_login_attempts", 0) > 0]
    for name in failed:
        users.record_failed_login(database, name)
    if st.session_state.get("authentication_status"):
        st.session_state["_remember_login"] = True  # the cookie is set on the next run
        st.rerun()
    if st.session_state.pop("_forget_login", False):
        authenticator.cookie_controller.delete_cookie()
    if st.session_state.get("authentication_status") is False:
        locked = any(users.is_locked(users.get_user(database, n) or {}) for n in failed)
        st.error("This account is locked after repeated failed logins; try again in "
                 f"{users.LOCKOUT.seconds // 60} minutes." if locked
                 else "Wrong user name or password.")


def first_admin_form(database: Database) -> None:
    st.info("Welcome! There is no user yet. Create the first admin here, or on the server run "
            "`python -m sla user add NAME --role admin` (the password is read from standard "
            "input). This form exists only while there is no user at all.")
    with st.form("first_admin"):
        username = st.text_input("Admin user name")
        password = st.text_input("Password (8 characters or more)", type="password")
        again = st.text_input("Password again", type="password")
        if st.form_submit_button("Create admin", type="primary"):
            if password != again:
                st.error("The passwords differ.")
            elif users.has_users(database):
                st.error("A user exists already; log in instead.")
            else:
                try:
                    users.add_user(database, username, password, "admin")
                except users.UserError as exc:
                    st.error(str(exc))
                else:
                    st.success(f"Admin {users.normal_username(username)} created: log in below.")
                    st.rerun()


def remember_login() -> None:
    """Set the login cookie on the first run after a login.

    The cookie is written by a browser component, which must live through a whole run; the
    run that logs in ends with a rerun, so the cookie is set on the run after it.
    """
    if st.session_state.pop("_remember_login", False):
        _authenticator(users.credentials(data.db())).cookie_controller.set_cookie()


def logout_button() -> None:
    if st.sidebar.button("Log out", icon=":material/logout:", width="stretch"):
        _authenticator(users.credentials(data.db())).authentication_controller.logout()
        st.session_state["_forget_login"] = True  # the login page deletes the cookie
        st.rerun()


def require_role(role: str = "viewer") -> dict:
    """The current user when they have ``role``; otherwise a message and the page stops.

    Home.py routes only logged-in users to pages, and admin pages only to admins; pages
    check again so that no path around the router shows data.
    """
    user = current_user()
    if user is None:
        st.error("Please log in.", icon=":material/lock:")
        st.stop()
    if role == "admin" and user["role"] != "admin":
        st.error("This page is for admins only.", icon=":material/lock:")
        st.stop()
    return user
