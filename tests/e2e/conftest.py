"""Fixtures and helpers for the real-browser tests: ``streamlit run app.py`` on a free port
against a fresh store, users made with the CLI, and Chromium driven by Playwright (sync API).

The store is MONGO_URI with a database name of its own when MONGO_URI is set; otherwise the
embedded SecantusDB server in a temporary SLA_DATA_DIR (stopped at the end).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1400, "height": 2600}  # the main area scrolls inside its own container

START_TIMEOUT_S = 90
RUN_TIMEOUT_MS = 60_000  # one Streamlit run; the embedded store makes a first load ~5 s
SETTLE_S = 0.5

ADMIN = ("admin", "admin-pass-1234")
VIEWER = ("viewer", "viewer-pass-1234")

IDLE_APP = ('[data-testid="stApp"][data-test-script-state="notRunning"]'
            '[data-test-connection-state="CONNECTED"]')


@dataclass
class App:
    """A running app: its address, the environment the CLI must share, and its users."""

    url: str
    env: dict
    tmp: Path
    log: Path
    users: dict = field(default_factory=dict)

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """Run ``python -m sla ARGS`` against the app's store; its standard output."""
        return sla_cli(self.env, *args, stdin=stdin)


def sla_cli(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run([sys.executable, "-m", "sla", *map(str, args)], cwd=ROOT, env=env,
                            input=stdin, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, (f"python -m sla {' '.join(map(str, args))} exited "
                                    f"{result.returncode}: {result.stderr.strip()[-2000:]}")
    return result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode} at start:\n"
                               + log.read_text(errors="replace")[-3000:])
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"streamlit did not answer /_stcore/health within {START_TIMEOUT_S} s:\n"
                       + log.read_text(errors="replace")[-3000:])


def _stop_group(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@pytest.fixture(scope="session")
def app(tmp_path_factory) -> App:
    """``streamlit run app.py`` (headless, on a free port) against a store of its own, with an
    admin and a viewer created through ``python -m sla user add``.

    With MONGO_URI set, the app uses it under a unique SLA_DB, dropped at the end; otherwise
    it starts the embedded server in a temporary SLA_DATA_DIR, which ``python -m sla server
    stop`` stops at the end. The Streamlit process group is killed at the end.
    """
    tmp = tmp_path_factory.mktemp("e2e")
    env, mongo_uri = store_env(tmp)
    process, running = start_streamlit(env, tmp)
    try:
        _wait_healthy(running.url, process, running.log)
        for (name, password), role in ((ADMIN, "admin"), (VIEWER, "viewer")):
            running.cli("user", "add", name, "--role", role, stdin=password + "\n")
            running.users[role] = (name, password)
        yield running
    finally:
        _stop_group(process)
        release_store(env, mongo_uri)


def store_env(tmp: Path) -> tuple[dict, str | None]:
    """The environment of the apps and CLI calls of a test, and MONGO_URI when one is set.

    With MONGO_URI a unique SLA_DB is used; otherwise the embedded store in ``tmp`` is fresh
    and its default database name will do.
    """
    env = dict(os.environ)
    env.update({"SLA_DATA_DIR": str(tmp / "data"), "PYTHONPATH": str(ROOT),
                "PYTHONUNBUFFERED": "1"})
    mongo_uri = os.environ.get("MONGO_URI")
    if mongo_uri:
        env["SLA_DB"] = f"sla_e2e_{uuid.uuid4().hex[:10]}"
    else:
        env.pop("SLA_DB", None)
    return env, mongo_uri


def start_streamlit(env: dict, tmp: Path, name: str = "app") -> tuple[subprocess.Popen, App]:
    """``streamlit run app.py`` (Home.py's pages and the API) headless on a free port, in its
    own process group."""
    port = free_port()
    log = tmp / f"streamlit-{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    return process, App(url=f"http://127.0.0.1:{port}", env=env, tmp=tmp, log=log)


def release_store(env: dict, mongo_uri: str | None) -> None:
    """Drop the test database (MONGO_URI) or stop the embedded server the apps shared."""
    if mongo_uri:
        from pymongo import MongoClient

        client = MongoClient(mongo_uri, serverSelectionTimeoutMS=5000)
        try:
            client.drop_database(env["SLA_DB"])
        finally:
            client.close()
    else:
        subprocess.run([sys.executable, "-m", "sla", "server", "stop"], cwd=ROOT, env=env,
                       capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def browser():
    """Chromium: Debian's /usr/bin/chromium when present, else Playwright's own build; the
    tests are skipped when neither can be launched."""
    sync_api = pytest.importorskip("playwright.sync_api")
    playwright = sync_api.sync_playwright().start()
    launched, errors = None, []
    attempts = ([{"executable_path": CHROMIUM}] if Path(CHROMIUM).exists() else []) + [{}]
    for options in attempts:
        try:
            launched = playwright.chromium.launch(args=CHROMIUM_ARGS, **options)
            break
        except Exception as exc:  # noqa: BLE001 - any launch failure means "try the next"
            errors.append(f"{options.get('executable_path', 'playwright chromium')}: "
                          f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    if launched is None:
        playwright.stop()
        pytest.skip("no Chromium could be launched for the e2e tests: " + "; ".join(errors))
    yield launched
    launched.close()
    playwright.stop()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """test-artifacts/screenshots/ in the repository root (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


# ---------------------------------------------------------------- page helpers

def wait_for_run(page, timeout_ms: int = RUN_TIMEOUT_MS, settle_s: float = SETTLE_S) -> None:
    """Wait until the Streamlit script run is over and the websocket is connected.

    ``stApp`` carries ``data-test-script-state`` (initial / running / notRunning …) and
    ``data-test-connection-state``. A run may start a moment after a click, so wait a little
    first, then for the idle state, then let the page settle (charts draw, stale elements
    go) and check it is still idle.
    """
    time.sleep(0.3)
    for _ in range(3):
        page.wait_for_selector(IDLE_APP, state="attached", timeout=timeout_ms)
        time.sleep(settle_s)
        if page.locator(IDLE_APP).count():
            return
    page.wait_for_selector(IDLE_APP, state="attached", timeout=timeout_ms)


def goto(page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded", timeout=RUN_TIMEOUT_MS)
    wait_for_run(page)


def assert_no_exception(page) -> None:
    """No Streamlit exception box (``stException``) on the page."""
    boxes = page.locator('[data-testid="stException"]')
    if boxes.count():
        raise AssertionError(f"Streamlit exception on {page.url}: "
                             + " | ".join(t.strip()[:500] for t in boxes.all_inner_texts()))


def metrics(page, scope=None) -> list[tuple[str, str]]:
    """The ``stMetric`` cards as (label, value) pairs, in page order."""
    root = scope or page
    pairs = []
    for card in root.locator('[data-testid="stMetric"]').all():
        label = card.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        value = card.locator('[data-testid="stMetricValue"]').inner_text().strip()
        pairs.append((label, value))
    return pairs


def nav_titles(page) -> list[str]:
    """The page titles in the sidebar navigation."""
    links = page.locator('[data-testid="stSidebarNav"] a')
    return [link.inner_text().strip().splitlines()[-1].strip() for link in links.all()]


def login(page, url: str, username: str, password: str) -> None:
    """Open the app and log in through the form; returns once the sidebar holds the user
    (attached, not necessarily visible: on a phone the sidebar is folded away)."""
    goto(page, url + "/")
    name = page.get_by_role("textbox", name="User name", exact=True)
    name.wait_for(timeout=RUN_TIMEOUT_MS)
    name.fill(username)
    page.get_by_role("textbox", name="Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.get_by_text(f"Signed in as {username}").wait_for(state="attached",
                                                          timeout=RUN_TIMEOUT_MS)
    wait_for_run(page)
    assert_no_exception(page)


def screenshot(page, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
