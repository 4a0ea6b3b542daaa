"""The Streamlit glue: the one module of ``sla`` that imports Streamlit.

* the database connection (one per process) and the friendly "database is down" message,
* cached queries keyed by the data version: every run reads the version (one tiny query),
  so after an import every session and every app process recomputes at its next run,
* the filter bar bound to the URL (``?team=L2&from=2026-01-05``),
* the login gate (streamlit-authenticator over the users in MongoDB) and role checks,
* small widgets shared by pages (KPI cards, CSV download, "How is this calculated?").
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd
import streamlit as st
import streamlit_authenticator as stauth
from pymongo.database import Database
from pymongo.errors import PyMongoError

from sla import config, export, fields, metrics, normalise, read, store, users
from sla.metrics import Filters

APP_TITLE = "SLA Tracker"
COOKIE_NAME = "sla_tracker_auth"
COOKIE_DAYS = 1.0
TABLE_ROWS = 2000


# ---------------------------------------------------------------- database

@st.cache_resource(show_spinner=False)
def _connect(uri: str | None, db_name: str | None) -> Database:
    return store.connect(uri, db_name)


def db() -> Database:
    """The database, reconnecting when the cached connection has gone away."""
    uri, name = config.get("MONGO_URI"), config.get("SLA_DB")
    try:
        database = _connect(uri, name)
        if not store.ping(database):
            _connect.clear()
            database = _connect(uri, name)
    except store.StoreError as exc:
        database_down(str(exc))
    return database


def database_down(detail: str = "") -> None:
    """One friendly line, then wait for the database and rerun by itself when it is back."""
    st.error(f"The database is unreachable right now{': ' + detail if detail else ''}. "
             "This page will recover by itself when it is back.", icon=":material/cloud_off:")
    _connect.clear()

    @st.fragment(run_every=5)
    def wait_for_database() -> None:
        try:
            _connect(config.get("MONGO_URI"), config.get("SLA_DB"))
        except store.StoreError:
            st.caption(f"Checked at {dt.datetime.now():%H:%M:%S}; trying again every 5 s.")
            return
        st.rerun()

    wait_for_database()
    st.stop()


def version() -> int:
    return store.data_version(db())


# ---------------------------------------------------------------- cached queries

@st.cache_data(show_spinner=False, max_entries=256)
def _cube(data_version: int, filters: Filters) -> list[dict]:
    return metrics.cube(db(), filters)


@st.cache_data(show_spinner=False, max_entries=64)
def _settings(data_version: int) -> dict:
    return store.get_settings(db())


@st.cache_data(show_spinner="Computing figures…", max_entries=256)
def _metric(name: str, data_version: int, filters: Filters) -> object:
    database, cells = db(), _cube(data_version, filters)
    settings = _settings(data_version)
    if name == "summary":
        return metrics.summary(database, filters, settings, cells=cells)
    if name == "teams":
        return metrics.teams(database, filters, cells=cells)
    if name == "agents":
        return metrics.agents(database, filters, settings, cells=cells)
    if name == "trend":
        return metrics.trend(database, filters, cells=cells)
    if name == "priorities":
        return metrics.priorities(database, filters, cells=cells)
    if name == "pending_by_status":
        return metrics.pending_by_status(database, filters)
    if name == "raw_teams":
        return metrics.raw_teams(database, filters)
    if name == "at_risk":
        return metrics.at_risk(database, filters, settings, now=_last_import_time(database))
    raise KeyError(name)


def metric(name: str, filters: Filters):
    """A metric of ``sla.metrics`` for the filters, cached per data version."""
    return _metric(name, version(), filters)


def settings() -> dict:
    return _settings(version())


@st.cache_data(show_spinner=False, max_entries=32)
def _span(data_version: int) -> dict:
    span = metrics.data_span(db())
    span["agents"] = metrics.agent_names(db())
    span["priorities"] = sorted({p for p in db().tickets.distinct("priority") if p},
                                key=lambda p: (p not in fields.PRIORITIES, p))
    uploads = store.recent_uploads(db(), 1)
    span["last_upload"] = uploads[0] if uploads else None
    return span


def data_span() -> dict:
    """Tickets held, first/last created, agent and priority names, the last import."""
    return _span(version())


def _last_import_time(database: Database) -> dt.datetime:
    uploads = store.recent_uploads(database, 1)
    return uploads[0]["at"] if uploads else dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


@st.cache_data(show_spinner="Loading tickets…", max_entries=64)
def _tickets(data_version: int, filters: Filters, limit: int) -> pd.DataFrame:
    return export.tickets_frame(db(), filters, limit=limit)


def tickets(filters: Filters, limit: int = 0) -> pd.DataFrame:
    return _tickets(version(), filters, limit)


# ---------------------------------------------------------------- filter bar

STATUS_CHOICES = ["all", "pending", "resolved"]


def filter_bar(search: bool = False) -> Filters:
    """The sidebar filters, kept in the URL so a link opens the same view.

    An empty date means no bound: with nothing chosen the range is all the data held, also
    after an import brings older or newer tickets (never "the last N days").
    """
    span = data_span()
    held = (f"{span['first']:%Y-%m-%d} – {span['last']:%Y-%m-%d}" if span.get("first")
            else "no tickets yet")
    with st.sidebar:
        st.subheader("Filters")
        date_from = st.date_input("Created from", value=None, key="from", bind="query-params",
                                  format="YYYY-MM-DD", help=f"Empty: all data ({held})")
        date_to = st.date_input("Created to", value=None, key="to", bind="query-params",
                                format="YYYY-MM-DD", help=f"Empty: all data ({held})")
        teams = st.multiselect("Team", list(fields.TEAMS), key="team", bind="query-params",
                               placeholder="All teams")
        priorities = st.multiselect("Priority", span["priorities"], key="priority",
                                    bind="query-params", placeholder="All priorities")
        agents = st.multiselect("Agent", span["agents"], key="agent", bind="query-params",
                                placeholder="All agents")
        status = st.selectbox("Status", STATUS_CHOICES, key="status", bind="query-params")
        text = st.text_input("Search SR, agent, category, team", key="q",
                             bind="query-params") if search else ""
        st.caption(f"Tickets created {held}")
    return Filters(date_from=date_from, date_to=date_to, teams=tuple(teams),
                   priorities=tuple(priorities), agents=tuple(agents),
                   status_class=None if status == "all" else status,
                   search=(text or "").strip() or None)


# ---------------------------------------------------------------- login and roles

def _authenticator(credentials: dict) -> stauth.Authenticate:
    return stauth.Authenticate(credentials, cookie_name=COOKIE_NAME,
                               cookie_key=config.cookie_key(), cookie_expiry_days=COOKIE_DAYS,
                               auto_hash=False)


def current_user() -> dict | None:
    """The logged-in user (fresh from the database), or None."""
    username = st.session_state.get("username") if st.session_state.get("authentication_status") else None
    if not username:
        return None
    user = users.get_user(db(), username)
    if user is None:  # removed while logged in
        st.session_state["authentication_status"] = None
        return None
    return user


def login_page() -> None:
    """The login form (or, on a fresh install, the first admin's setup form)."""
    database = db()
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
        _authenticator(users.credentials(db())).cookie_controller.set_cookie()


def logout_button() -> None:
    if st.sidebar.button("Log out", icon=":material/logout:", width="stretch"):
        _authenticator(users.credentials(db())).authentication_controller.logout()
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


# ---------------------------------------------------------------- shared widgets

TEXT_COLUMNS = ("status", "priority", "category", "resolved_by", "team_raw", "response_sla",
                "resolution_sla")


def ticket_table(frame: pd.DataFrame, **options):
    """A table of tickets with readable headers and typed columns (first TABLE_ROWS rows)."""
    number = st.column_config.NumberColumn
    when = st.column_config.DatetimeColumn
    shown = frame.head(TABLE_ROWS).astype({c: object for c in TEXT_COLUMNS if c in frame})
    shown = shown.fillna({c: "" for c in TEXT_COLUMNS if c in frame})
    return st.dataframe(shown, hide_index=True, column_config={
        "sr_number": "SR", "status": "Status", "status_class": "Class", "priority": "Priority",
        "category": "Category", "created": when("Created", format="YYYY-MM-DD HH:mm"),
        "resolved_at": when("Resolved", format="YYYY-MM-DD HH:mm"), "resolved_by": "Agent",
        "team": "Team", "team_raw": "Raw team",
        "response_hours": number("Response h", format="%.2f"),
        "resolution_hours": number("Resolution h", format="%.2f"),
        "response_sla": "Response SLA", "resolution_sla": "Resolution SLA"}, **options)


def fmt_pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} %"


def fmt_hours(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f} h"


def fmt_int(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def kpi(column, label: str, value: str, help_text: str | None = None, border: bool = True) -> None:
    column.metric(label, value, help=help_text, border=border)


def sla_kpis(response_column, resolution_column, row: dict, border: bool = True) -> None:
    """The response and resolution SLA % cards, met and breached counts in their help."""
    for column, kind in ((response_column, "response"), (resolution_column, "resolution")):
        kpi(column, f"{kind.title()} SLA", fmt_pct(row[f"{kind}_sla_pct"]),
            f"{row[f'{kind}_met']:,} met · {row[f'{kind}_breached']:,} breached", border)


def download_csv(frame: pd.DataFrame, name: str, label: str = "Download CSV",
                 key: str | None = None) -> None:
    """A CSV of exactly these rows, formula-like cells neutralised."""
    st.download_button(label, export.to_csv_bytes(frame), file_name=name, mime="text/csv",
                       icon=":material/download:", key=key or f"download-{name}")


def how_calculated(*topics: str) -> None:
    """The contract's rules for these topics, in an expander ("How is this calculated?")."""
    texts = {
        "sla": "**SLA %** = 100 × met ÷ (met + breached), over tickets that have an SLA outcome. "
               "Open tickets without an outcome do not drag the percentage down; with no outcome "
               "at all the figure shows –. The outcome comes from the file's SLA column "
               "(Met, Yes, True, Within SLA… / Breached, No, False, Missed…); when the file has "
               "no such column it is computed from the hours and the priority's target "
               "(met means hours ≤ target).",
        "breaches": "**Breaches** counts tickets whose response or resolution SLA is breached; "
                    "a ticket breached on both counts once.",
        "hours": "**Average and median hours** are over tickets with a value; the median of an "
                 "even count is the mean of the two middle values. Durations like 129:45, "
                 "2 days 03:30 or 1h 30m are read exactly; without a resolution-time column, "
                 "resolution hours are resolved − created.",
        "status": "**Resolved** are the statuses in Settings (by default Resolved, Closed, "
                  "Completed, Done, Cancelled, Canceled, any case); every other status is "
                  "**pending**.",
        "score": "**Score** = 0.6 × resolution SLA % + 0.4 × response SLA % + "
                 "min(tickets − 5, 20); agents with fewer than 5 tickets score 0, a missing "
                 "percentage counts as 0. Weights, minimum and cap are in Settings. "
                 "**Top performers**: score above 0, by score, then tickets, then name.",
        "teams": "**Teams**: the raw team (Updated Team, Assignment Group, Team, Group…) is "
                 "lower-cased and split into words; it is L1 with the word l1 or level 1, tier 1, "
                 "1st line, first line; L2 likewise; Business with business, functional, "
                 "data team or exactly bt; Other otherwise and Unassigned when empty "
                 "(l10 is not l1). The rules can be changed in Settings.",
        "at_risk": "**At risk**: pending tickets older than 80 % of their priority's resolution "
                   "target, age measured at the time of the latest import (so an old export "
                   "does not make every ticket late), least time left first.",
        "trend": "**Trend**: tickets per ISO week (Monday start) of their created date.",
    }
    with st.expander("How is this calculated?", icon=":material/help:"):
        for topic in topics:
            st.markdown(texts[topic])
        targets = settings()["sla_targets"]
        st.markdown("SLA targets (hours, response / resolution): " + ", ".join(
            f"{p} {t['response']:g} / {t['resolution']:g}" for p, t in targets.items()))


# ---------------------------------------------------------------- uploads

def parse_upload(data: bytes, name: str) -> dict:
    """Read and normalise an uploaded file once per content (kept in the session)."""
    digest = hashlib.sha256(data).hexdigest()
    cache = st.session_state.setdefault("parsed_uploads", {})
    if digest not in cache:
        cache.clear()
        table = read.read_table(data, name, max_bytes=config.max_upload_bytes())
        tickets_, report = normalise.parse_tickets(table, store.get_settings(db()), name)
        preview = table.frame.head(20).copy()
        cache[digest] = {"sha256": digest, "name": name, "tickets": tickets_, "report": report,
                         "table": table, "preview": preview}
    return cache[digest]


def dry_run(parsed: dict) -> normalise.ImportReport:
    """What an import would do, computed once per file and data version (reruns are free)."""
    current = version()
    if parsed.get("dry_run_version") != current:
        report = normalise.ImportReport(**parsed["report"].as_dict())
        parsed["dry_run"] = store.import_tickets(db(), parsed["tickets"], report, user="",
                                                 dry_run=True)
        parsed["dry_run_version"] = current
    return parsed["dry_run"]


def import_parsed(parsed: dict, user: str, progress) -> normalise.ImportReport:
    report = normalise.ImportReport(**parsed["report"].as_dict())
    return store.import_tickets(db(), parsed["tickets"], report, user=user,
                                sha256=parsed["sha256"], progress=progress)


def guard_database_errors(run) -> None:
    """Run a page; a database failure mid-page becomes the friendly message."""
    try:
        run()
    except PyMongoError as exc:
        database_down(str(exc).splitlines()[0][:160] if str(exc) else "")
