"""The pages' way to the data: the process's one database, the one version check per run,
and the figures of ``sla.service.queries`` at this run's data version.

Each run reads the version document once (``versions``): the data version, which names its
read model snapshot, and the users version. Every figure comes from the query service, which
keeps it per data version and question for every page, the API and the CLI alike. After an
import every session, and every app process behind a load balancer, sees the new version at
its next run.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from contextlib import contextmanager

import pandas as pd
import streamlit as st
from pymongo.database import Database
from pymongo.errors import PyMongoError
from streamlit import config as streamlit_config

from sla.core import config
from sla.core.filters import Filters
from sla.core.teams import team_names as desk_team_names
from sla.service import database, queries, watcher

RUN_VERSIONS = "_versions_this_run"
log = logging.getLogger("sla")


# ---------------------------------------------------------------- the connection

def db() -> Database:
    """The database; a connection that has gone away is made again."""
    try:
        return database.shared()
    except database.StoreError as exc:
        database_down(str(exc))


def database_down(detail: str = "") -> None:
    """One friendly line (the detail goes to the log), then wait for the database and rerun
    by itself when it is back."""
    log.warning("database unavailable: %s", detail)
    st.error("The database is unreachable right now; this page will recover by itself when "
             "it is back.", icon=":material/cloud_off:")
    database.forget_shared()

    @st.fragment(run_every=5)
    def wait_for_database() -> None:
        try:
            database.shared().command("ping")
        except (database.StoreError, PyMongoError):
            database.forget_shared()
            st.caption(f"Checked at {dt.datetime.now():%H:%M:%S}; trying again every 5 s.")
            return
        st.rerun()

    wait_for_database()
    st.stop()


def guard_database_errors(run) -> None:
    """Run the app; a database failure mid-run becomes the friendly message."""
    try:
        run()
    except PyMongoError as exc:
        database_down(repr(exc))


def follow_upload_limit() -> None:
    """Make Streamlit's own upload limit (``server.maxUploadSize``, read at each upload) the
    app's setting SLA_MAX_UPLOAD_MB, so there is one limit to set, not two."""
    try:
        megabytes = max(1, math.ceil(config.number("SLA_MAX_UPLOAD_MB")))
    except config.ConfigError as exc:
        log.warning("upload limit left at Streamlit's: %s", exc)
        return
    if streamlit_config.get_option("server.maxUploadSize") != megabytes:
        streamlit_config.set_option("server.maxUploadSize", megabytes, "SLA_MAX_UPLOAD_MB")


# ---------------------------------------------------------------- the version check

def versions() -> dict:
    """{"data": the data version document, "users": the users version}, read once per run."""
    memo = st.session_state.get(RUN_VERSIONS)
    return memo if memo is not None else database.versions_now(db())


@contextmanager
def one_version_check():
    """Read the versions once for everything the run inside this block does (Home.py wraps
    the whole run in it; a page run on its own reads them when first asked)."""
    st.session_state[RUN_VERSIONS] = database.versions_now(db())
    try:
        yield
    finally:
        st.session_state.pop(RUN_VERSIONS, None)


def version() -> int:
    return int(versions()["data"]["value"])


def _info() -> dict:
    return versions()["data"]


# ---------------------------------------------------------------- the figures at this version

def settings() -> dict:
    return queries.settings(db(), _info())


def team_moves(team_rules: list[dict]) -> list[dict]:
    """The tickets ``team_rules`` would move between teams (``queries.team_moves``)."""
    return queries.team_moves(db(), team_rules, _info())


def unmapped_names() -> list[dict]:
    """The team names in the files no rule maps, with their tickets."""
    return queries.unmapped_names(db(), _info())


def team_names() -> tuple[str, ...]:
    """Every team in the order pages list them: the desk's, then Other and Unassigned."""
    return desk_team_names(settings())


def people() -> list[dict]:
    """The agents directory (``queries.people``)."""
    return queries.people(db(), _info())


def team_set_for(name: str) -> str | None:
    """The team an admin set for ``name`` in the agents directory, if any (it stands for
    the team of most of their tickets in agent views)."""
    return next((p["team_set"] for p in people() if p["name"] == name), None)


def summary(filters: Filters) -> dict:
    return queries.summary(db(), filters, _info())


def teams(filters: Filters) -> list[dict]:
    return queries.teams(db(), filters, _info())


def agents(filters: Filters) -> list[dict]:
    return queries.agents(db(), filters, _info())


def trend(filters: Filters, period: str = "week") -> list[dict]:
    return queries.trend(db(), filters, period, _info())


def priorities(filters: Filters) -> list[dict]:
    return queries.priorities(db(), filters, _info())


def pending_by_status(filters: Filters) -> list[dict]:
    return queries.pending_by_status(db(), filters, _info())


def raw_teams(filters: Filters) -> list[dict]:
    return queries.raw_teams(db(), filters, _info())


def backlog(filters: Filters) -> dict:
    """Each owner's open tickets by age, overdue and at risk (``queries.backlog``)."""
    return queries.backlog(db(), filters, _info())


def at_risk(filters: Filters) -> dict:
    """The overdue and at-risk lists with their clock (``queries.at_risk``)."""
    return queries.at_risk(db(), filters, _info())


def data_span() -> dict:
    """Tickets held, first/last created, agent and priority names, the last import."""
    return queries.data_span(db(), _info())


def data_clock() -> dict:
    """{"at", "basis"}: the time at-risk ages are measured at (``metrics.data_clock``)."""
    return queries.data_clock(db(), _info())


def handoffs_by_team(filters: Filters, raw: bool = False, working: bool = False) -> dict:
    """Hours held per team (or raw team) at the data's clock (``analytics.handoffs``)."""
    return queries.handoffs(db(), filters, raw, _info(), working)


def changes_between(filters: Filters, from_id: str | None = None,
                    to_id: str | None = None) -> dict:
    """What moved between two imports (default: the last two); {"error"} when there is
    nothing to compare."""
    try:
        with st.spinner("Comparing the imports…"):
            return queries.changes(db(), filters, from_id, to_id, _info())
    except queries.ChangesError as exc:
        return {"error": str(exc)}


def comparable_imports() -> list[dict]:
    return queries.comparable_imports(db())


def tickets(filters: Filters, limit: int = 0) -> pd.DataFrame:
    with st.spinner("Loading tickets…"):
        return queries.tickets_frame(db(), filters, limit, _info())


def ticket(sr_number: str) -> dict | None:
    return queries.ticket(db(), sr_number)


def ticket_history(sr_number: str) -> list[dict]:
    return queries.ticket_history(db(), sr_number)


def recent_uploads(limit: int = 50) -> list[dict]:
    return queries.recent_uploads(db(), limit)


def last_refresh():
    """When the last import finished (None before the first)."""
    return queries.last_refresh(db())


def drop_folders() -> list[tuple[str, str]]:
    """What to say of each watched drop folder: (level, sentence)."""
    return watcher.folder_states(db())
