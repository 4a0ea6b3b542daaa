"""The login gate: streamlit-authenticator's form over the users in MongoDB, revocable
sessions, roles, logout.

A login starts a session (``accounts.start_session``). Its id is kept in this Streamlit
session's state and, for reloads and new tabs, in the login cookie: a JWT signed with the
cookie key that names the user, the session id and an expiry. Every run checks the session
against the user's record, read again whenever the users version changes, so logging out, a
password change or removing the user sends each browser holding that session back
to the login form at its next run, in every app process. streamlit-authenticator's own
cookie names only the user and cannot be revoked, so it is switched off (``_NoCookie``), and
its password check is ``accounts.check_login``, which counts the attempt first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import extra_streamlit_components as stx
import jwt
import streamlit as st
import streamlit_authenticator as stauth
from pymongo.database import Database
from streamlit import runtime
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

from sla.core import clients, config, display
from sla.service import accounts, upload_gate
from ui import data, widgets

APP_TITLE = "SLA Tracker"
COOKIE_NAME = "sla_tracker_auth"
COOKIE_DAYS = 1.0
LOGIN_FIELDS = {"Form name": "Log in", "Username": "User name", "Password": "Password",
                "Login": "Log in"}

SESSION_ID = "_session_id"
LOGIN_STATE = ("authentication_status", "username", "name", "email", "roles", SESSION_ID)
REFUSED_COOKIE = "_refused_cookie"  # a cookie found invalid in this session: not tried again
REMEMBER = "_remember_login"  # the login cookie to set: (token, expiry)
FORGET = "_forget_login"  # the login cookie is to be deleted
SET_COOKIE = "set_login_cookie"  # the keys of the browser components that do it
DELETE_COOKIE = "delete_login_cookie"


class _NoCookie:
    """Stands in for streamlit-authenticator's cookie controller: this module reads and
    writes the login cookie itself."""

    def get_cookie(self) -> None:
        return None

    def set_cookie(self) -> None:
        pass

    def delete_cookie(self) -> None:
        pass


def _authenticator(database: Database) -> stauth.Authenticate:
    """streamlit-authenticator's login form, checking passwords with ``accounts.check_login``
    for this browser's address."""
    authenticator = stauth.Authenticate(accounts.login_credentials(database),
                                        cookie_name=COOKIE_NAME, cookie_key=_cookie_key(),
                                        cookie_expiry_days=COOKIE_DAYS, auto_hash=False,
                                        login_sleep_time=0)  # its wait is for its own cookie
    authenticator.cookie_controller = _NoCookie()
    address = client_address()
    authenticator.authentication_controller.authentication_model.check_credentials = (
        lambda username, password: accounts.check_login(database, username, password, address))
    return authenticator


def client_address() -> str:
    """This browser's address, as the login throttle counts it (``sla.core.clients``)."""
    return clients.client_address(st.context.ip_address or "127.0.0.1",
                                  st.context.headers.get("X-Forwarded-For"))


@st.cache_data(show_spinner=False, max_entries=256, ttl=60)
def _user(username: str, users_version: int) -> dict | None:
    """A user's record, read again whenever users, roles, passwords or sessions change."""
    return accounts.user(data.db(), username)


def current_user() -> dict | None:
    """The logged-in user (fresh from the database), or None.

    A session not logged in yet tries the browser's login cookie. A session that is no
    longer valid (logged out, password changed, user locked or removed) is ended here, so
    the login form shows.
    """
    if not st.session_state.get("authentication_status"):
        _login_from_cookie()
    if not st.session_state.get("authentication_status"):
        _allow_uploads(False)
        return None
    user = _user(st.session_state.get("username") or "", data.versions()["users"])
    if not accounts.session_is_valid(user, st.session_state.get(SESSION_ID)):
        _end_session_here()
        return None
    _allow_uploads(user["role"] == "admin")
    return user


def _allow_uploads(allowed: bool) -> None:
    """Let this browser session send files while an admin is logged in to it; otherwise
    refuse them and free any it sent (``sla.service.upload_gate``)."""
    context = get_script_run_ctx()
    if context is None:
        return
    upload_gate.allow(context.session_id, allowed)
    if not allowed and runtime.exists():
        runtime.get_instance().uploaded_file_mgr.remove_session_files(context.session_id)


def _login_from_cookie() -> None:
    """Take the user and session named by the login cookie the browser sent, when this app
    signed it and it has not expired (``current_user`` then checks the session)."""
    token = st.context.cookies.get(COOKIE_NAME)
    if not token or token == st.session_state.get(REFUSED_COOKIE):
        return
    try:
        claims = jwt.decode(token, _cookie_key(), algorithms=["HS256"],
                            options={"require": ["sub", "sid", "exp"]})
    except jwt.InvalidTokenError:
        _end_session_here()
        return
    st.session_state.update({"authentication_status": True, "username": claims["sub"],
                             SESSION_ID: claims["sid"]})


def _end_session_here() -> None:
    """Forget the login in this Streamlit session, and in the browser's cookie.

    The cookies Streamlit reports are those the browser sent when the page was opened, so
    the one found here is remembered as refused rather than tried again at every run.
    """
    _allow_uploads(False)
    for key in (*LOGIN_STATE, REMEMBER):
        st.session_state.pop(key, None)
    st.session_state[REFUSED_COOKIE] = st.context.cookies.get(COOKIE_NAME)
    st.session_state[FORGET] = True


def _cookie_key() -> str:
    """The cookie key; one that cannot be used stops the app with its reason."""
    try:
        return config.cookie_key()
    except config.ConfigError as exc:
        reason = str(exc)
        st.error(f"{reason[:1].upper()}{reason[1:]}.", icon=":material/key:")
        st.stop()


def _cookies() -> stx.CookieManager:
    return stx.CookieManager(key="login_cookies")


def login_page() -> None:
    """The login form (or, on a fresh install, the first admin's setup form)."""
    database = data.db()
    st.title(APP_TITLE)
    widgets.show_flash()
    if not accounts.has_users(database) and accounts.offers_first_admin(database):
        first_admin_form(database)
        return
    if not accounts.has_users(database):
        st.error("No user is left, so nobody can log in; an admin on the server adds one with "
                 "`./sla.sh user add NAME --role admin`.", icon=":material/person_off:")
        return
    if st.session_state.get("authentication_status"):
        return
    st.session_state["authentication_status"] = None  # False below: refused in this run
    _authenticator(database).login(
        location="main", key="login", fields=LOGIN_FIELDS,
        callback=lambda info: _start_session(database, info["username"]))
    if st.session_state.get("authentication_status"):
        st.session_state.pop(FORGET, None)  # the new cookie replaces the old one
        st.session_state[REMEMBER] = _login_cookie()  # set from the next run on
        st.rerun()
    _forget_login()
    if st.session_state.get("authentication_status") is False:
        st.error(accounts.LOGIN_REFUSED)


def _start_session(database: Database, username: str) -> None:
    st.session_state[SESSION_ID] = accounts.start_session(database, username)


def first_admin_form(database: Database) -> None:
    st.info("Welcome! There is no user yet. Create the first admin here, or on the server run "
            "`./sla.sh user add NAME --role admin` (the password is read from standard "
            "input). This form exists only while there is no user at all.")
    with st.form("first_admin"):
        username = st.text_input("Admin user name")
        password = st.text_input("Password (8 characters or more)", type="password")
        again = st.text_input("Password again", type="password")
        if st.form_submit_button("Create admin", type="primary"):
            if password != again:
                st.error("The passwords differ.")
            elif accounts.has_users(database):
                st.error("A user exists already; log in instead.")
            else:
                try:
                    added = accounts.add_user(database, username, password, "admin")
                except accounts.UserError as exc:
                    st.error(str(exc))
                else:
                    widgets.flash(f"Admin {display.literal(added)} "
                                  "created: log in below with the same name and password.")
                    st.rerun()


def _login_cookie() -> tuple[str, dt.datetime]:
    """The login cookie of this session's login, and when it expires."""
    expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=COOKIE_DAYS)
    token = jwt.encode({"sub": st.session_state["username"],
                        "sid": st.session_state[SESSION_ID], "exp": expires},
                       _cookie_key(), algorithm="HS256")
    return token, expires


def remember_login() -> None:
    """Set the login cookie after a login (see ``_cookie_written``)."""
    pending = st.session_state.get(REMEMBER)
    if pending is None:
        return
    if _cookie_written(SET_COOKIE):
        st.session_state.pop(REMEMBER)
        return
    token, expires = pending
    _cookies().set(COOKIE_NAME, token, key=SET_COOKIE, expires_at=expires,
                   secure=served_over_tls(), same_site="strict")


def served_over_tls() -> bool:
    """Whether the browser reached the app over HTTPS (directly, or through a proxy that says
    so): the login cookie is then Secure, never sent over plain HTTP. It cannot be HttpOnly,
    as the browser component that writes it is script."""
    forwarded = (st.context.headers.get("X-Forwarded-Proto") or "").split(",")[0].strip()
    return forwarded.lower() == "https" or (st.context.url or "").startswith("https://")


def _forget_login() -> None:
    """Delete the login cookie after a logout or a refused cookie (see ``_cookie_written``)."""
    if not st.session_state.get(FORGET):
        return
    if _cookie_written(DELETE_COOKIE):
        st.session_state.pop(FORGET)
        return
    try:
        _cookies().delete(COOKIE_NAME, key=DELETE_COOKIE)
    except KeyError:
        pass  # sent to the browser; the component's copy of the cookies did not hold it


def _cookie_written(key: str) -> bool:
    """Whether the browser component drawn with ``key`` at the last run wrote the cookie.

    The component writes when its frame has loaded, and only if it is still on the page
    then; a run may come first (the component that reads the cookies starts one, and so
    does this one when done), so it is drawn at every run until it reports the write.
    """
    return bool(st.session_state.get(key))


def logout_button() -> None:
    """Log out: the session ends in the database, so a copy of the cookie is worthless."""
    if st.sidebar.button("Log out", icon=":material/logout:", width="stretch"):
        accounts.end_session(data.db(), st.session_state["username"], st.session_state[SESSION_ID])
        _end_session_here()
        st.rerun()


def _route_through_home() -> None:
    """Send a run that reached a page file directly back through Home.py's router.

    Streamlit still runs the first deep link after a server start (``/dashboard?team=L2``)
    the old way, straight from the ``pages/`` folder with its own page list, until some run
    has called ``st.navigation``. Clearing the flag ``st.navigation`` clears and rerunning
    routes this run, and every later one, through Home.py (login form, pages by role).
    """
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()


def require_role(role: str = "viewer") -> dict:
    """The current user when they have ``role``; otherwise a message and the page stops.

    Home.py routes only logged-in users to pages, and admin pages only to admins; pages
    check again so that no path around the router shows data.
    """
    _route_through_home()
    user = current_user()
    if user is None:
        st.error("Please log in.", icon=":material/lock:")
        st.stop()
    if role == "admin" and user["role"] != "admin":
        st.error("This page is for admins only.", icon=":material/lock:")
        st.stop()
    return user


def needs_admin(title: str) -> Callable[[], None]:
    """What a viewer sees at an admin page's address: its title and that it needs the admin
    role (never the page's own script)."""
    def page() -> None:
        st.title(title)
        st.warning(f"The {title} page needs the admin role; you are signed in as a viewer. "
                   "Ask an admin if you need it.", icon=":material/lock:")
    page.__name__ = f"needs_admin_{title.lower().replace(' ', '_')}"
    return page
