"""Load generator for SLA Tracker over Streamlit's WebSocket protocol, with a real login.

It logs in through the app's own login form widgets, the way the browser frontend does.

Every simulated user is one WebSocket on ``/_stcore/stream`` exchanging protobuf messages:
the client sends ``BackMsg.rerun_script`` (a ``ClientState``: query string, page, widget
states) and the server streams ``ForwardMsg``s (``new_session``, ``navigation``, ``delta``s
carrying elements and widgets, ``page_info_changed``) until ``script_finished``.

A user's journey:

1. **open** the app: the first run of the root URL; the login form's widgets arrive as deltas.
2. **log in**: one rerun whose widget states hold the "User name" and "Password" text inputs'
   string values and the trigger of the form's submit button, which is what the frontend's
   ``submitForm`` sends. The app calls ``st.rerun()`` after a login, so the server answers
   with a run finished early for rerun, then the logged-in run ("Signed in as NAME").
3. **Dashboard**: a rerun with the Dashboard's page script hash taken from the
   ``navigation`` message, as a click on the sidebar link does.
4. **filter changes** (soak): a rerun with a new value for the Team or Priority multiselect
   (``string_array_value``) or the Status selectbox (``string_value``), with the URL query
   string the frontend writes for widgets bound to query parameters.

Modes; each prints p50, p95, max, errors and wall time, and exits 1 when any error occurred:

    burst    N sessions at the same instant: open, log in, open the Dashboard.
    soak     N logged-in sessions on the Dashboard, each changing a filter at random times
             (exponential gaps averaging --interval s) for --seconds s; per-run latency.
    trivial  the burst against bench/trivial_app.py (no login), started here on a free port
             (or the one running at --url).
    open     N sessions log in, then all open the Dashboard at the same instant; the same
             burst against the trivial page follows in the same run, and the ratio.
    warm     one logged-in session reruns the Dashboard --reruns times, its data cached.

``--start-app`` (burst, soak) starts ``streamlit run Home.py`` on a free port against the
embedded store in a temporary SLA_DATA_DIR, creates the user with ``python -m sla user add``
(and demo data with ``--demo-tickets N``), runs the load, then stops the app and the embedded
server and removes the folder; it also reports the CPU time both processes used. Only
127.0.0.1 / localhost URLs are accepted. Options common to all modes go before the mode:

    .venv/bin/python bench/load.py --start-app --demo-tickets 3000 burst --sessions 5
    .venv/bin/python bench/load.py --start-app soak --sessions 5 --seconds 20 --interval 10
    .venv/bin/python bench/load.py trivial --sessions 20
    SLA_LOAD_PASSWORD=... .venv/bin/python bench/load.py --url http://127.0.0.1:8501 \\
        --user admin burst --sessions 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlparse

import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState, ContextInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.e2e.conftest import _stop_group as stop_process_group  # noqa: E402 - shared helpers
from tests.e2e.conftest import _wait_healthy as wait_healthy  # noqa: E402

TRIVIAL_APP = ROOT / "bench" / "trivial_app.py"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
MAX_SESSIONS = 200

# The login form as sla/web.py login_page() labels it.
USERNAME_LABEL = "User name"
PASSWORD_LABEL = "Password"
SIGNED_IN = "Signed in as"
DASHBOARD_PATH = "dashboard"
DASHBOARD_TITLE = "Dashboard"
FILTER_KEYS = ("team", "priority", "status")  # query-param keys of the Dashboard's filters

RUN_TIMEOUT_S = 120.0
CLI_TIMEOUT_S = 600.0
ERRORS_SHOWN = 5


class LoadError(Exception):
    """A run did not produce what a user would have seen; the message says what."""


class PageError(LoadError):
    """The run finished, but the page shows an error or lacks what it should draw; the
    session can go on."""


# ---------------------------------------------------------------- one Streamlit session

@dataclass
class Run:
    """What one script run drew: its elements (widgets included) and how long it took."""

    seconds: float
    elements: list = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # page not found, compile error

    def of_kind(self, kind: str) -> list:
        """The ``kind`` protos (``text_input``, ``button``, ``metric``…) in page order."""
        return [getattr(e, kind) for e in self.elements if e.WhichOneof("type") == kind]

    def widget(self, kind: str, label: str):
        for widget in self.of_kind(kind):
            if widget.label == label:
                return widget
        raise PageError(f"no {kind} labelled {label!r} on the page")

    def widget_ids(self) -> set[str]:
        ids = set()
        for element in self.elements:
            proto = getattr(element, element.WhichOneof("type") or "empty")
            if getattr(proto, "id", ""):
                ids.add(proto.id)
        return ids

    def texts(self) -> list[str]:
        """Markdown, caption and heading bodies."""
        return [e.markdown.body for e in self.elements if e.WhichOneof("type") == "markdown"] + [
            e.heading.body for e in self.elements if e.WhichOneof("type") == "heading"]

    def metric(self, label: str) -> str | None:
        return next((m.body for m in self.of_kind("metric") if m.label == label), None)

    def problems(self) -> list[str]:
        """Exceptions and error boxes on the page, and what the protocol reported."""
        found = list(self.notes)
        found += [f"exception {e.type}: {e.message}".strip() for e in self.of_kind("exception")]
        found += [f"error box: {a.body}" for a in self.of_kind("alert")
                  if a.format == Alert.ERROR]
        return found


def websocket_address(url: str) -> tuple[str, str]:
    """The stream endpoint and the Origin header for an app URL on this machine."""
    parts = urlparse(url)
    if parts.scheme != "http" or parts.hostname not in LOCAL_HOSTS:
        raise SystemExit(f"only http://127.0.0.1:PORT URLs are accepted, not {url!r}")
    return (f"ws://{parts.netloc}{parts.path.rstrip('/')}/_stcore/stream",
            f"{parts.scheme}://{parts.netloc}")


class Session:
    """One browser tab: a WebSocket plus what the frontend remembers between runs.

    That is the current page's script hash, the query string in the address bar, the pages
    of the navigation, and the values the user gave to widgets still on the page.
    """

    def __init__(self, url: str, timeout: float = RUN_TIMEOUT_S):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.page_script_hash = ""
        self.path = ""
        self.query_string = ""
        self.pages: list = []
        self.held: dict[str, WidgetState] = {}
        self._socket = None

    async def connect(self) -> None:
        ws_url, origin = websocket_address(self.url)
        self._socket = await websockets.connect(
            ws_url, subprotocols=["streamlit"], origin=origin, max_size=2**26,
            open_timeout=self.timeout, ping_interval=None)

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()

    async def open(self, page_name: str = "", query_string: str = "") -> Run:
        """The first run, as when the browser loads ``/<page_name>?<query_string>``."""
        self.query_string = query_string
        return await self._run(ClientState(query_string=query_string, page_name=page_name))

    async def rerun(self, changed: tuple[WidgetState, ...] = (),
                    page_script_hash: str | None = None,
                    query_string: str | None = None) -> Run:
        """A rerun with the held widget values plus ``changed`` (values and triggers)."""
        if query_string is not None:
            self.query_string = query_string
        states = dict(self.held)
        states.update((state.id, state) for state in changed)
        self.held.update((s.id, s) for s in changed if s.WhichOneof("value") != "trigger_value")
        state = ClientState(query_string=self.query_string,
                            page_script_hash=page_script_hash or self.page_script_hash)
        state.widget_states.widgets.extend(states.values())
        return await self._run(state)

    async def next_run(self) -> Run:
        """The next run the server finishes, without asking for one."""
        run = await self._receive_run(time.perf_counter())
        self.held = {wid: s for wid, s in self.held.items() if wid in run.widget_ids()}
        return run

    def page(self, url_pathname: str):
        for page in self.pages:
            if page.url_pathname == url_pathname:
                return page
        raise PageError(f"no page {url_pathname!r} in the navigation "
                        f"({', '.join(p.url_pathname or '/' for p in self.pages) or 'none'})")

    async def _run(self, state: ClientState) -> Run:
        query = f"?{state.query_string}" if state.query_string else ""
        state.context_info.CopyFrom(ContextInfo(
            timezone="UTC", timezone_offset=0, locale="en-US", color_scheme="light",
            url=f"{self.url}/{state.page_name or self.path}{query}"))
        message = BackMsg()
        message.rerun_script.CopyFrom(state)
        started = time.perf_counter()
        await self._socket.send(message.SerializeToString())
        run = await self._receive_run(started)
        self.held = {wid: s for wid, s in self.held.items() if wid in run.widget_ids()}
        return run

    async def _receive_run(self, started: float) -> Run:
        """ForwardMsgs until the run (and the reruns it asked for) has finished."""
        deadline = started + self.timeout
        run = Run(0.0)
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise LoadError(f"no script_finished within {self.timeout:.0f} s")
            try:
                raw = await asyncio.wait_for(self._socket.recv(), remaining)
            except asyncio.TimeoutError:
                raise LoadError(f"no script_finished within {self.timeout:.0f} s") from None
            message = ForwardMsg()
            message.ParseFromString(raw)
            if self._absorb(message, run):
                run.seconds = time.perf_counter() - started
                return run

    def _absorb(self, message: ForwardMsg, run: Run) -> bool:
        """Take in one ForwardMsg; True when it ends the run."""
        kind = message.WhichOneof("type")
        if kind == "new_session":
            run.elements.clear()
            if message.new_session.page_script_hash:
                self.page_script_hash = message.new_session.page_script_hash
        elif kind == "navigation":
            self.pages = list(message.navigation.app_pages)
            self.page_script_hash = message.navigation.page_script_hash
            self.path = next((p.url_pathname for p in self.pages
                              if p.page_script_hash == self.page_script_hash), "")
        elif kind == "page_info_changed":
            self.query_string = message.page_info_changed.query_string
        elif kind == "page_not_found":
            run.notes.append(f"page not found: {message.page_not_found.page_name!r}")
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            run.elements.append(message.delta.new_element)
        elif kind == "script_finished":
            status = message.script_finished
            if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return False
            if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                run.notes.append("the script did not compile")
            return True
        return False


# ---------------------------------------------------------------- what a user does

def text_state(widget_id: str, text: str) -> WidgetState:
    return WidgetState(id=widget_id, string_value=text)


def trigger_state(widget_id: str) -> WidgetState:
    return WidgetState(id=widget_id, trigger_value=True)


def require_clean(run: Run, step: str) -> Run:
    if problems := run.problems():
        raise PageError(f"{step}: {'; '.join(problems)[:300]}")
    return run


async def log_in(session: Session, form: Run, user: str, password: str) -> Run:
    """Fill in and submit the login form drawn by ``form``, as the browser does."""
    require_clean(form, "login form")
    name = form.widget("text_input", USERNAME_LABEL)
    secret = form.widget("text_input", PASSWORD_LABEL)
    submit = next((b for b in form.of_kind("button")
                   if b.is_form_submitter and b.form_id == name.form_id), None)
    if submit is None:
        raise PageError(f"no submit button in the login form {name.form_id!r}")
    run = await session.rerun((text_state(name.id, user), text_state(secret.id, password),
                               trigger_state(submit.id)))
    require_clean(run, "log in")
    if not any(text.startswith(SIGNED_IN) and user.lower() in text.lower()
               for text in run.texts()):
        raise PageError(f"log in: no {SIGNED_IN!r} {user} after the form was submitted")
    return run


async def open_dashboard(session: Session) -> Run:
    """A click on "Dashboard" in the sidebar navigation."""
    page = session.page(DASHBOARD_PATH)
    started = time.perf_counter()
    run = await session.rerun(page_script_hash=page.page_script_hash, query_string="")
    if DASHBOARD_TITLE not in run.texts():  # a run the app had queued (the login's cookie
        run = await session.next_run()      # step) finished first; the click's run follows
        run.seconds = time.perf_counter() - started
    require_clean(run, "Dashboard")
    if DASHBOARD_TITLE not in run.texts():
        raise PageError("Dashboard: the page title was not drawn")
    return run


def filter_widgets(run: Run) -> list:
    """The Dashboard's bound Team / Priority multiselects and Status selectbox."""
    return [w for w in run.of_kind("multiselect") + run.of_kind("selectbox")
            if w.query_param_key in FILTER_KEYS and w.options]


def shown_value(widget, held: WidgetState | None) -> list[str] | str:
    """The value the frontend shows: the user's, else the server's, else the default."""
    if widget.DESCRIPTOR.name == "MultiSelect":
        if held is not None:
            return list(held.string_array_value.data)
        return list(widget.raw_values) if widget.set_value else [
            widget.options[i] for i in widget.default]
    if held is not None:
        return held.string_value
    return widget.raw_value if widget.set_value else widget.options[widget.default]


def new_filter_value(widget, current, rng: random.Random) -> list[str] | str:
    """A different value: up to two options of a multiselect, another selectbox choice."""
    if widget.DESCRIPTOR.name == "MultiSelect":
        choices = [sorted(rng.sample(list(widget.options), k))
                   for k in (0, 1, 1, 2) if k <= len(widget.options)]
        fresh = [c for c in choices if c != sorted(current)]
        return rng.choice(fresh or choices)
    others = [o for o in widget.options if o != current]
    return rng.choice(others or list(widget.options))


def filter_state(widget, value: list[str] | str) -> WidgetState:
    if isinstance(value, list):
        state = WidgetState(id=widget.id)
        state.string_array_value.data.extend(value)
        return state
    return WidgetState(id=widget.id, string_value=value)


def query_with(query_string: str, widget, value: list[str] | str) -> str:
    """The query string after the frontend syncs a bound widget's new value into the URL:
    repeated keys for a multiselect, the key dropped for an empty or default value."""
    pairs = [(k, v) for k, v in parse_qsl(query_string, keep_blank_values=True)
             if k != widget.query_param_key]
    default = None if isinstance(value, list) else widget.options[widget.default]
    values = value if isinstance(value, list) else ([] if value == default else [value])
    pairs += [(widget.query_param_key, v) for v in values]
    return urlencode(pairs)


async def change_filter(session: Session, page: Run, rng: random.Random) -> tuple[Run, str]:
    """Pick one Dashboard filter, give it another value and rerun; the run and the change."""
    widgets = filter_widgets(page)
    if not widgets:
        raise PageError("filter change: no Team / Priority / Status widget on the page")
    widget = rng.choice(widgets)
    value = new_filter_value(widget, shown_value(widget, session.held.get(widget.id)), rng)
    run = await session.rerun((filter_state(widget, value),),
                              query_string=query_with(session.query_string, widget, value))
    require_clean(run, f"filter {widget.query_param_key}={value}")
    return run, f"{widget.query_param_key}={value}"


# ---------------------------------------------------------------- journeys

RUN_FAILURES = (LoadError, OSError, asyncio.TimeoutError, websockets.WebSocketException)


@dataclass
class Outcome:
    """One session's result: seconds per step and in all, or the error that stopped it;
    in a soak also the filter-change runs and their errors."""

    steps: dict[str, float] = field(default_factory=dict)
    total: float = 0.0
    error: str | None = None
    runs: list[float] = field(default_factory=list)
    run_errors: list[str] = field(default_factory=list)


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300] if str(exc) else type(exc).__name__


async def journey(session: Session, user: str, password: str, outcome: Outcome,
                  verbose: bool) -> Run | None:
    """Connect, log in and open the Dashboard, timing each step; None after an error."""
    started = time.perf_counter()
    try:
        await session.connect()
        form = await session.open()
        outcome.steps["connect + login form"] = time.perf_counter() - started
        outcome.steps["log in"] = (await log_in(session, form, user, password)).seconds
        dashboard = await open_dashboard(session)
        outcome.steps["open Dashboard"] = dashboard.seconds
    except RUN_FAILURES as exc:
        outcome.error = describe(exc)
        return None
    outcome.total = time.perf_counter() - started
    if verbose:
        print(f"  Dashboard drawn after {outcome.total:.2f} s, total tickets "
              f"{dashboard.metric('Total tickets')}", flush=True)
    return dashboard


async def burst_user(url: str, args) -> Outcome:
    outcome, session = Outcome(), Session(url, args.timeout)
    try:
        await journey(session, args.user, args.password, outcome, args.verbose)
    finally:
        await session.close()
    return outcome


async def trivial_user(url: str, args) -> Outcome:
    outcome, session = Outcome(), Session(url, args.timeout)
    started = time.perf_counter()
    try:
        await session.connect()
        run = require_clean(await session.open(), "trivial page")
        if run.metric("Answer") is None:
            raise PageError("trivial page: the metric was not drawn")
        outcome.total = time.perf_counter() - started
    except RUN_FAILURES as exc:
        outcome.error = describe(exc)
    finally:
        await session.close()
    return outcome


async def soak_user(session: Session, dashboard: Run, outcome: Outcome, deadline: float,
                    interval: float, rng: random.Random, verbose: bool) -> None:
    """Change a filter at random times (mean gap ``interval`` s) until ``deadline``. An
    error on the page is counted and the session goes on; any other failure (time-out,
    lost connection) may leave messages of the run in flight, so it ends the session."""
    page = dashboard
    while True:
        gap = rng.expovariate(1.0 / interval)
        if time.monotonic() + gap >= deadline:
            await asyncio.sleep(max(0.0, deadline - time.monotonic()))
            return
        await asyncio.sleep(gap)
        try:
            page, change = await change_filter(session, page, rng)
        except PageError as exc:
            outcome.run_errors.append(describe(exc))
            continue
        except RUN_FAILURES as exc:
            outcome.run_errors.append(describe(exc))
            return
        outcome.runs.append(page.seconds)
        if verbose:
            print(f"  {change:<34} {page.seconds:6.2f} s  total tickets "
                  f"{page.metric('Total tickets')}  ?{session.query_string}", flush=True)


# ---------------------------------------------------------------- figures

def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    return ordered[max(math.ceil(fraction * len(ordered)), 1) - 1]


def figures(values: list[float]) -> str:
    if not values:
        return "no successful run"
    ordered = sorted(values)
    return (f"p50 {percentile(ordered, 0.50):6.2f} s   p95 {percentile(ordered, 0.95):6.2f} s"
            f"   max {ordered[-1]:6.2f} s")


def print_errors(errors: list[str]) -> None:
    counts: dict[str, int] = {}
    for error in errors:
        counts[error] = counts.get(error, 0) + 1
    for error, count in list(counts.items())[:ERRORS_SHOWN]:
        print(f"  error x{count}: {error}")


def report_sessions(title: str, outcomes: list[Outcome], wall: float, headline: str) -> int:
    """Figures of the whole journeys and of each step; returns the number of errors."""
    done = [o for o in outcomes if o.error is None]
    errors = [o.error for o in outcomes if o.error is not None]
    print(f"{title}: {len(outcomes)} sessions, {len(done)} ok, {len(errors)} errors, "
          f"wall {wall:.2f} s")
    print(f"  {headline:<26} {figures([o.total for o in done])}")
    for step in (done[0].steps if done and len(done[0].steps) > 1 else ()):
        print(f"    {step:<24} {figures([o.steps[step] for o in done])}")
    print_errors(errors)
    return len(errors)


# ---------------------------------------------------------------- modes

async def run_burst(args, url: str) -> int:
    started = time.perf_counter()
    outcomes = await asyncio.gather(*(burst_user(url, args) for _ in range(args.sessions)))
    return report_sessions("burst", outcomes, time.perf_counter() - started,
                           "time to Dashboard drawn")


async def run_trivial(args, url: str) -> int:
    started = time.perf_counter()
    outcomes = await asyncio.gather(*(trivial_user(url, args) for _ in range(args.sessions)))
    return report_sessions("trivial", outcomes, time.perf_counter() - started,
                           "time to page drawn")


async def run_soak(args, url: str) -> int:
    """All sessions log in at once (reported as the setup), then the soak window runs."""
    rng = random.Random(args.seed)
    outcomes = [Outcome() for _ in range(args.sessions)]
    sessions = [Session(url, args.timeout) for _ in outcomes]
    started = time.perf_counter()
    try:
        dashboards = await asyncio.gather(*(
            journey(session, args.user, args.password, outcome, args.verbose)
            for session, outcome in zip(sessions, outcomes)))
        setup_errors = report_sessions("soak setup", outcomes, time.perf_counter() - started,
                                       "time to Dashboard drawn")
        ready = [(s, o, d) for s, o, d in zip(sessions, outcomes, dashboards) if d is not None]
        soak_started = time.monotonic()
        deadline = soak_started + args.seconds
        await asyncio.gather(*(
            soak_user(session, dashboard, outcome, deadline, args.interval,
                      random.Random(rng.random()), args.verbose)
            for session, outcome, dashboard in ready))
        soak_wall = time.monotonic() - soak_started
    finally:
        await asyncio.gather(*(session.close() for session in sessions))
    runs = [r for o in outcomes for r in o.runs]
    run_errors = [e for o in outcomes for e in o.run_errors]
    print(f"soak: {len(ready)} sessions for {args.seconds:g} s, one filter change per "
          f"{args.interval:g} s on average each: {len(runs)} runs ok, {len(run_errors)} errors, "
          f"wall {soak_wall:.2f} s")
    print(f"  {'filter change run':<26} {figures(runs)}")
    print_errors(run_errors)
    return setup_errors + len(run_errors)


async def logged_in_sessions(url: str, args) -> list[tuple[Session, Outcome]]:
    """``--sessions`` sessions logged in (at once), on the Home page; failures reported."""
    pairs = [(Session(url, args.timeout), Outcome()) for _ in range(args.sessions)]

    async def log_in_one(session: Session, outcome: Outcome) -> None:
        try:
            await session.connect()
            await log_in(session, await session.open(), args.user, args.password)
        except RUN_FAILURES as exc:
            outcome.error = describe(exc)

    await asyncio.gather(*(log_in_one(s, o) for s, o in pairs))
    return pairs


async def run_open(args, url: str) -> int:
    """Logged-in sessions all open the Dashboard at the same instant (the logins before it
    are not timed); then the same burst against the trivial page, in this run."""
    pairs = await logged_in_sessions(url, args)
    ready = [(s, o) for s, o in pairs if o.error is None]

    async def open_one(session: Session, outcome: Outcome) -> None:
        try:
            outcome.total = (await open_dashboard(session)).seconds
        except RUN_FAILURES as exc:
            outcome.error = describe(exc)

    started = time.perf_counter()
    try:
        await asyncio.gather(*(open_one(s, o) for s, o in ready))
    finally:
        await asyncio.gather(*(s.close() for s, _ in pairs))
    errors = report_sessions("open", [o for _, o in pairs], time.perf_counter() - started,
                             "time to Dashboard drawn")
    ours = sorted(o.total for _, o in pairs if o.error is None)
    with started_trivial_app() as trivial:
        started = time.perf_counter()
        outcomes = await asyncio.gather(*(trivial_user(trivial.url, args)
                                          for _ in range(args.sessions)))
        errors += report_sessions("trivial page, same burst", outcomes,
                                  time.perf_counter() - started, "time to page drawn")
    theirs = sorted(o.total for o in outcomes if o.error is None)
    if ours and theirs:
        print(f"ratio, Dashboard to trivial page: p50 "
              f"{percentile(ours, 0.5) / percentile(theirs, 0.5):.2f}, max "
              f"{ours[-1] / theirs[-1]:.2f}")
    return errors


async def run_warm(args, url: str) -> int:
    """One logged-in session on the Dashboard, rerun ``--reruns`` times with its data cached:
    the time from the rerun request to the end of the run (server time plus loopback)."""
    session, outcome = Session(url, args.timeout), Outcome()
    try:
        page = await journey(session, args.user, args.password, outcome, args.verbose)
        if page is None:
            print_errors([outcome.error])
            return 1
        times = [(await session.rerun()).seconds for _ in range(args.reruns)]
    finally:
        await session.close()
    print(f"warm: {len(times)} reruns of the Dashboard with its figures cached")
    print(f"  {'rerun':<26} {figures(times)}")
    return 0


MODES = {"burst": run_burst, "soak": run_soak, "trivial": run_trivial, "open": run_open,
         "warm": run_warm}


# ---------------------------------------------------------------- the app under test

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process from /proc/PID/stat; None when unreadable."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, TypeError):
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the command name may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def resident_mb(pid: int, field_name: str = "VmRSS") -> float:
    """A process's resident memory (or its peak, VmHWM) in MB, from /proc/PID/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class AppProcess:
    """A Streamlit app this script started, and the processes whose CPU time is reported."""

    url: str
    process: subprocess.Popen
    log: Path
    watched: dict[str, int | None] = field(default_factory=dict)
    pids: list[int] = field(default_factory=list)  # the app processes (several behind nginx)

    def cpu(self) -> dict[str, float | None]:
        return {name: cpu_seconds(pid) for name, pid in self.watched.items()}


def start_streamlit(script: Path, env: dict, folder: Path, name: str = "") -> AppProcess:
    """``streamlit run SCRIPT`` headless on a free 127.0.0.1 port, in its own process group;
    returns once it answers /_stcore/health."""
    port = free_port()
    log = folder / f"streamlit-{name or script.stem}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    app = AppProcess(f"http://127.0.0.1:{port}", process, log, {"streamlit": process.pid})
    try:
        wait_healthy(app.url, app.process, app.log)
    except BaseException:
        stop_process_group(process)
        raise
    return app


def sla_cli(env: dict, *args: str, stdin: str | None = None) -> str:
    """``python -m sla ARGS`` against the app's store; its standard output."""
    result = subprocess.run([sys.executable, "-m", "sla", *args], cwd=ROOT, env=env,
                            input=stdin, capture_output=True, text=True, timeout=CLI_TIMEOUT_S)
    if result.returncode != 0:
        raise SystemExit(f"python -m sla {' '.join(args)} exited {result.returncode}: "
                         f"{result.stderr.strip()[-2000:]}")
    return result.stdout


def embedded_server_pid(data_dir: Path) -> int | None:
    """The embedded SecantusDB server's pid, from the state file sla/embedded.py writes."""
    try:
        return json.loads((data_dir / "embedded.json").read_text())["pid"]
    except (OSError, ValueError, KeyError):
        return None


@contextlib.contextmanager
def started_sla_app(args):
    """SLA Tracker with a fresh embedded store in a temporary SLA_DATA_DIR, the user made by
    the CLI and optional data; with ``--processes N`` (N > 1), N app processes behind nginx
    (least connections, WebSockets passed through), as the compose file scales the app
    service. All of it is stopped and removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="sla-load-"))
    data_dir = folder / "data"
    env = {k: v for k, v in os.environ.items() if k not in ("MONGO_URI", "SLA_DB")}
    env.update({"SLA_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT),
                "PYTHONUNBUFFERED": "1"})
    apps, server_pid, proxy = [], None, None
    try:
        for index in range(args.processes):
            apps.append(start_streamlit(ROOT / "Home.py", env, folder, f"app{index}"))
        print(f"app started at {', '.join(a.url for a in apps)} (SLA_DATA_DIR {data_dir})",
              flush=True)
        sla_cli(env, "user", "add", args.user, "--role", "admin", stdin=args.password + "\n")
        if args.demo_tickets:
            print(sla_cli(env, "demo", "--tickets", str(args.demo_tickets)).strip(), flush=True)
        if args.import_file:
            imported = sla_cli({**env, "SLA_MAX_UPLOAD_MB": "2048"}, "import",
                               str(args.import_file))
            print(imported.splitlines()[0], flush=True)
        url = apps[0].url
        if len(apps) > 1:
            proxy, url = start_nginx(apps, folder)
            print(f"nginx at {url} in front of {len(apps)} app processes", flush=True)
        front = AppProcess(url, apps[0].process, apps[0].log,
                           pids=[app.process.pid for app in apps])
        for index, app in enumerate(apps):
            front.watched[f"streamlit {index + 1}"] = app.process.pid
        server_pid = front.watched["embedded database"] = embedded_server_pid(data_dir)
        yield front
    finally:
        if proxy is not None:
            stop_process_group(proxy)
        for app in apps:
            stop_process_group(app.process)
        stop_embedded_server(env, data_dir, server_pid or embedded_server_pid(data_dir))
        shutil.rmtree(folder, ignore_errors=True)


NGINX_CONFIG = """
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    map $http_upgrade $upgrade {{ default upgrade; '' close; }}
    upstream apps {{ least_conn; {servers} }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://apps;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $upgrade;
            proxy_set_header Host $http_host;
            proxy_read_timeout 3600s;
            proxy_buffering off;
        }}
    }}
}}
"""


def start_nginx(apps: list, folder: Path) -> tuple[subprocess.Popen, str]:
    """nginx on a free loopback port spreading sessions over ``apps`` (least connections:
    a session is one WebSocket, so it stays on the process that holds its state)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    servers = " ".join(f"server {urlparse(a.url).netloc};" for a in apps)
    config = folder / "nginx.conf"
    config.write_text(NGINX_CONFIG.format(folder=folder, servers=servers, port=port))
    process = subprocess.Popen([nginx, "-c", str(config), "-p", str(folder), "-g",
                                "daemon off;"], stdin=subprocess.DEVNULL,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return process, url
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    stop_process_group(process)
    raise SystemExit("nginx did not answer in front of the apps")


def stop_embedded_server(env: dict, data_dir: Path, pid: int | None) -> None:
    """``python -m sla server stop``; should the CLI fail (say, the package does not import),
    SIGTERM then SIGKILL to the server process on ``data_dir`` itself."""
    subprocess.run([sys.executable, "-m", "sla", "server", "stop"], cwd=ROOT, env=env,
                   capture_output=True, timeout=CLI_TIMEOUT_S)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not serves_folder(pid, data_dir):
            return
        os.kill(pid, sig)
        deadline = time.monotonic() + 15
        while serves_folder(pid, data_dir) and time.monotonic() < deadline:
            time.sleep(0.2)


def serves_folder(pid: int | None, data_dir: Path) -> bool:
    """Process ``pid`` is alive and is a server on ``data_dir`` (not a reused pid)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, TypeError):
        return False
    return state != "Z" and str(data_dir).encode() in command


@contextlib.contextmanager
def started_trivial_app():
    folder = Path(tempfile.mkdtemp(prefix="sla-load-trivial-"))
    app = None
    try:
        app = start_streamlit(TRIVIAL_APP, dict(os.environ), folder)
        print(f"trivial app started at {app.url}", flush=True)
        yield app
    finally:
        if app is not None:
            stop_process_group(app.process)
        shutil.rmtree(folder, ignore_errors=True)


def report_cpu(before: dict[str, float | None], after: dict[str, float | None],
               wall: float) -> None:
    used = [f"{name} {after[name] - before[name]:.1f} s"
            for name in before if before[name] is not None and after.get(name) is not None]
    if used:
        print(f"server CPU time during the load: {', '.join(used)} (wall {wall:.1f} s, "
              f"{os.cpu_count()} cores)")


# ---------------------------------------------------------------- command line

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Options before the mode apply to all modes, e.g. "
               "load.py --start-app burst --sessions 5.")
    parser.add_argument("--url", help="the running app, http://127.0.0.1:PORT (trivial: "
                        "a running bench/trivial_app.py instead of starting one)")
    parser.add_argument("--user", default="loadtest", help="user name (default: loadtest)")
    parser.add_argument("--password-file", type=Path, help="file whose first line is the password")
    parser.add_argument("--password", default=os.environ.get("SLA_LOAD_PASSWORD"),
                        help="the password (default: $SLA_LOAD_PASSWORD)")
    parser.add_argument("--start-app", action="store_true",
                        help="start Home.py on a free port with a throw-away store and user")
    parser.add_argument("--demo-tickets", type=int, default=0, metavar="N",
                        help="with --start-app: import N generated tickets first")
    parser.add_argument("--import-file", type=Path, metavar="FILE",
                        help="with --start-app: import this export first (python -m sla import)")
    parser.add_argument("--processes", type=int, default=1, metavar="N",
                        help="with --start-app: N app processes behind nginx (default 1)")
    parser.add_argument("--memory", action="store_true",
                        help="with --start-app: print the app process's memory at the end")
    parser.add_argument("--timeout", type=float, default=RUN_TIMEOUT_S,
                        help=f"seconds one run may take (default {RUN_TIMEOUT_S:g})")
    parser.add_argument("--verbose", action="store_true", help="print every journey and run")
    modes = parser.add_subparsers(dest="mode", required=True)
    burst = modes.add_parser("burst", help="N sessions at once: log in, open the Dashboard")
    soak = modes.add_parser("soak", help="N logged-in sessions changing filters for S seconds")
    trivial = modes.add_parser("trivial", help="the burst against bench/trivial_app.py")
    opening = modes.add_parser("open", help="N logged-in sessions open the Dashboard at the "
                               "same instant; then the trivial page's burst, same run")
    warm = modes.add_parser("warm", help="one session reruns the Dashboard with data cached")
    warm.add_argument("--reruns", type=int, default=30, help="reruns timed (default 30)")
    for mode in (burst, soak, trivial, opening):
        mode.add_argument("--sessions", type=int, default=5, help="concurrent sessions")
    warm.set_defaults(sessions=1)
    soak.add_argument("--seconds", type=float, default=60.0, help="soak duration (default 60)")
    soak.add_argument("--interval", type=float, default=10.0,
                      help="mean seconds between a session's filter changes (default 10)")
    soak.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    return parser


def checked_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    args = parser.parse_args()
    if not 1 <= args.sessions <= MAX_SESSIONS:
        parser.error(f"--sessions must be 1 to {MAX_SESSIONS}")
    if args.mode == "soak" and (args.seconds <= 0 or args.interval <= 0):
        parser.error("--seconds and --interval must be positive")
    if args.url:
        websocket_address(args.url)
    if args.mode == "trivial":
        return args
    if args.password_file:
        args.password = args.password_file.read_text().splitlines()[0]
    if args.start_app:
        args.password = args.password or secrets.token_urlsafe(12)
    elif not args.url:
        parser.error("give --url of a running app, or --start-app")
    elif not args.password:
        parser.error("give --password-file, --password or SLA_LOAD_PASSWORD")
    return args


def run_mode(args, app: AppProcess | None, url: str) -> int:
    before = app.cpu() if app else {}
    started, own_cpu = time.perf_counter(), time.process_time()
    errors = asyncio.run(MODES[args.mode](args, url))
    print(f"load generator CPU time: {time.process_time() - own_cpu:.2f} s")
    if app:
        report_cpu(before, app.cpu(), time.perf_counter() - started)
        if args.memory:
            for pid in app.pids or [app.process.pid]:
                print(f"app process {pid} memory: {resident_mb(pid):,.0f} MB resident "
                      f"(peak {resident_mb(pid, 'VmHWM'):,.0f} MB)")
        if errors:
            print_log_tail(app.log)
    return errors


def print_log_tail(log: Path, lines: int = 30) -> None:
    """The end of the app's log (where the redacted exceptions are written in full)."""
    print(f"last lines of the app's log {log.name}:")
    for line in log.read_text(errors="replace").splitlines()[-lines:]:
        print(f"  | {line}")


def main() -> int:
    args = checked_args(build_parser())
    if args.mode == "trivial" and not args.url:
        with started_trivial_app() as app:
            errors = run_mode(args, app, app.url)
    elif args.start_app:
        with started_sla_app(args) as app:
            errors = run_mode(args, app, app.url)
    else:
        errors = run_mode(args, None, args.url)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
