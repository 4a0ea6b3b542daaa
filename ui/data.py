"""Data access and caching for the pages.

Each run reads the version document once (``versions``): the data version, which names its
read model snapshot, and the users version. Every figure is cached per data version and
filters by one ``st.cache_data`` function per metric, computed from the read model snapshot
that each process holds in memory (``sla.readmodel``). After an import every session, and
every app process behind a load balancer, sees the new version at its next run.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from contextlib import contextmanager

import pandas as pd
import streamlit as st
from streamlit import config as streamlit_config
from pymongo.database import Database
from pymongo.errors import PyMongoError

from sla import changes, config, export, handoffs, metrics, store
from sla.metrics import Filters
from sla.readmodel import Snapshot

RUN_VERSIONS = "_versions_this_run"
log = logging.getLogger("sla")


# ---------------------------------------------------------------- the connection

@st.cache_resource(show_spinner=False)
def _connect(uri: str | None, db_name: str | None) -> Database:
    return store.connect(uri, db_name)


def db() -> Database:
    """The database; a connection that has gone away is made again."""
    uri, name = config.get("MONGO_URI"), config.get("SLA_DB")
    try:
        return _connect(uri, name)
    except store.StoreError as exc:
        database_down(str(exc))


def database_down(detail: str = "") -> None:
    """One friendly line (the detail goes to the log), then wait for the database and rerun
    by itself when it is back."""
    log.warning("database unavailable: %s", detail)
    st.error("The database is unreachable right now; this page will recover by itself when "
             "it is back.", icon=":material/cloud_off:")
    _connect.clear()

    @st.fragment(run_every=5)
    def wait_for_database() -> None:
        try:
            _connect(config.get("MONGO_URI"), config.get("SLA_DB")).command("ping")
        except (store.StoreError, PyMongoError):
            _connect.clear()
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
    return memo if memo is not None else store.versions(db())


@contextmanager
def one_version_check():
    """Read the versions once for everything the run inside this block does (Home.py wraps
    the whole run in it; a page run on its own reads them when first asked)."""
    st.session_state[RUN_VERSIONS] = store.versions(db())
    try:
        yield
    finally:
        st.session_state.pop(RUN_VERSIONS, None)


def version() -> int:
    return int(versions()["data"]["value"])


def snapshot() -> Snapshot:
    """The read model of this run's data version (held in memory, once per process)."""
    return store.snapshot(db(), versions()["data"])


# ---------------------------------------------------------------- one cached function per metric

@st.cache_data(show_spinner=False, max_entries=64)
def _settings(data_version: int) -> dict:
    return store.get_settings(db())


def settings() -> dict:
    return _settings(version())


@st.cache_data(show_spinner=False, max_entries=256)
def _summary(data_version: int, filters: Filters) -> dict:
    return metrics.summary(snapshot(), filters, _settings(data_version))


@st.cache_data(show_spinner=False, max_entries=256)
def _teams(data_version: int, filters: Filters) -> list[dict]:
    return metrics.teams(snapshot(), filters)


@st.cache_data(show_spinner=False, max_entries=256)
def _agents(data_version: int, filters: Filters) -> list[dict]:
    return metrics.agents(snapshot(), filters, _settings(data_version))


@st.cache_data(show_spinner=False, max_entries=256)
def _trend(data_version: int, filters: Filters, period: str) -> list[dict]:
    return metrics.trend(snapshot(), filters, period)


@st.cache_data(show_spinner=False, max_entries=256)
def _priorities(data_version: int, filters: Filters) -> list[dict]:
    return metrics.priorities(snapshot(), filters)


@st.cache_data(show_spinner=False, max_entries=128)
def _pending_by_status(data_version: int, filters: Filters) -> list[dict]:
    return metrics.pending_by_status(snapshot(), filters)


@st.cache_data(show_spinner=False, max_entries=128)
def _raw_teams(data_version: int, filters: Filters) -> list[dict]:
    return metrics.raw_teams(snapshot(), filters)


@st.cache_data(show_spinner=False, max_entries=128)
def _at_risk(data_version: int, filters: Filters) -> list[dict]:
    return metrics.at_risk(snapshot(), filters, _settings(data_version),
                           now=_clock(data_version)["at"])


def summary(filters: Filters) -> dict:
    return _summary(version(), filters)


def teams(filters: Filters) -> list[dict]:
    return _teams(version(), filters)


def agents(filters: Filters) -> list[dict]:
    return _agents(version(), filters)


def trend(filters: Filters, period: str = "week") -> list[dict]:
    return _trend(version(), filters, period)


def priorities(filters: Filters) -> list[dict]:
    return _priorities(version(), filters)


def pending_by_status(filters: Filters) -> list[dict]:
    return _pending_by_status(version(), filters)


def raw_teams(filters: Filters) -> list[dict]:
    return _raw_teams(version(), filters)


def at_risk(filters: Filters) -> list[dict]:
    return _at_risk(version(), filters)


@st.cache_data(show_spinner=False, max_entries=32)
def _span(data_version: int) -> dict:
    held = snapshot()
    span = metrics.data_span(held)
    span["agents"] = metrics.agent_names(held)
    span["priorities"] = metrics.priority_names(held)
    uploads = store.recent_uploads(db(), 1)
    span["last_upload"] = uploads[0] if uploads else None
    return span


def data_span() -> dict:
    """Tickets held, first/last created, agent and priority names, the last import."""
    return _span(version())


@st.cache_data(show_spinner=False, max_entries=32)
def _clock(data_version: int) -> dict:
    uploads = store.recent_uploads(db(), 1)
    return metrics.data_clock(snapshot(), uploads[0]["at"] if uploads else None)


def data_clock() -> dict:
    """{"at", "basis"}: the time at-risk ages are measured at (``metrics.data_clock``)."""
    return _clock(version())


@st.cache_data(show_spinner=False, max_entries=128)
def _handoffs(data_version: int, filters: Filters, raw: bool) -> dict:
    return handoffs.handoffs(snapshot(), filters, _settings(data_version),
                             _clock(data_version)["at"] or dt.datetime.now(), raw)


def handoffs_by_team(filters: Filters, raw: bool = False) -> dict:
    """Hours held per team (or raw team) at the data's clock (``sla.handoffs``)."""
    return _handoffs(version(), filters, raw)


@st.cache_data(show_spinner="Comparing the imports…", max_entries=64)
def _changes(data_version: int, filters: Filters, from_id: str | None,
             to_id: str | None) -> dict:
    try:
        return changes.changes(db(), from_id, to_id, filters)
    except changes.ChangesError as exc:
        return {"error": str(exc)}


def changes_between(filters: Filters, from_id: str | None = None,
                    to_id: str | None = None) -> dict:
    """What moved between two imports (default: the last two); {"error"} when there is
    nothing to compare."""
    return _changes(version(), filters, from_id, to_id)


def comparable_imports() -> list[dict]:
    return changes.comparable_imports(db())


@st.cache_data(show_spinner="Loading tickets…", max_entries=64)
def _tickets(data_version: int, filters: Filters, limit: int) -> pd.DataFrame:
    return export.tickets_frame(snapshot(), filters, limit=limit)


def tickets(filters: Filters, limit: int = 0) -> pd.DataFrame:
    return _tickets(version(), filters, limit)


def recent_uploads() -> list[dict]:
    return store.recent_uploads(db())
