"""Screenshots of every page, desktop and phone, empty and full, and what a manager must not see.

One app (``streamlit run Home.py``) on a fresh store of its own:

1. the first-start screen (the create-first-admin form, before any user exists);
2. "empty": an admin (made with ``python -m sla user add``) logged in on a desktop (1440×900)
   and a phone (390×844, touch, 2× pixels) visits Home, Dashboard, Agent Performance, Team
   Performance, Tickets, Upload, Settings and every other page routed in Home.py;
3. "full": the UCI incident log from ../shared/data is imported (else ``python -m sla demo
   --tickets 3000``), then 300 demo tickets as a second import (so the Dashboard says what
   moved), and the same pages are visited again; Agent Performance shows its default
   agent and Tickets opens one ticket's full record.

Every visit writes ``test-artifacts/screenshots/screen-<page>-<desktop|phone>-<empty|full>.png``
(the pages are read from Home.py's PAGES; the whole page: the main area scrolls inside its own
container, so the viewport is made as tall as the content first), plus second views shot and
checked the same way: ``screen-dashboard-filters-*`` (the Filters expander open),
``screen-settings-teams-*``, ``-users-*``, ``-alerts-*`` and ``-deliveries-*`` (those tabs),
``screen-agents-score-*`` (the old system's score; the fair ranking is the default),
``screen-dashboard-moved-*`` (what moved since the previous import, full only) and ``screen-sidebar-phone-*`` (the phone's
sidebar opened). The screenshot is taken before the checks, and the checks never stop the
visits: every problem is collected and ``test_no_screen_shows_a_problem`` fails at the end
with the whole list (and the app log's errors when a screen showed an exception).

Checked on every screen, in the main area's and the sidebar's visible text, the column headers
and visible cells of every table (the grids are drawn on a canvas: their accessibility table
holds the headers and the rows drawn, and every string drawn on a canvas is recorded, which
is how a missing value's grey "None" is seen) and the titles and labels of every chart (SVG):

- no Streamlit exception and no error box;
- no raw ``None``, ``NaN``, ``nan``, ``NaT`` (whole words) and no ``0.000000``;
- none of the internal field names (``status_class``, ``priority_raw``, ``team_raw``,
  ``resolved_by``, ``sr_number``, ``last_login``, ``locked_until``, ``created_at``,
  ``response_hours``, ``resolution_hours``, ``*_sla_pct``), and no other snake_case name in
  headings, headers or chart titles (file columns kept as data are not checked for that);
  words shown in code formatting (a command, a value quoted from a file) are exempt;
- every headline number (``st.metric``) has a label;
- no percentage axis with ticks beyond 100 or below 0.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from tests.e2e.conftest import (
    ADMIN,
    ROOT,
    RUN_TIMEOUT_MS,
    _stop_group,
    _wait_healthy,
    goto,
    login,
    release_store,
    sla_cli,
    start_streamlit,
    store_env,
    wait_for_run,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1500)]

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
UCI_ZIP = SHARED_DATA / "uci498_incident_event_log.zip"
DEMO_TICKETS = 3000
IMPORT_TIMEOUT_S = 900

FALLBACK_PAGES = [("home", "/"), ("dashboard", "/dashboard"), ("agents", "/agents"),
                  ("teams", "/teams"), ("tickets", "/tickets"), ("upload", "/upload"),
                  ("settings", "/settings")]
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1440, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
}
MAX_SHOT_HEIGHT = 16_000  # CSS pixels; a taller page is cut there (noted, not a problem)

INTERNAL_NAMES = ["status_class", "priority_raw", "team_raw", "resolved_by", "sr_number",
                  "last_login", "locked_until", "created_at", "response_hours",
                  "resolution_hours"]
INTERNAL = re.compile(r"\b(?:" + "|".join(INTERNAL_NAMES) + r")\b|\w*_sla_pct\b")
RAW_VALUE = re.compile(r"\b(?:None|NaN|nan|NaT)\b|0\.000000")
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
PERCENT_TITLE = re.compile(r"%|percent|SLA", re.IGNORECASE)

MAIN = '[data-testid="stMain"]'
# Every string drawn on a canvas (the grids draw their headers and cells with fillText),
# kept per page load: a missing value is drawn as a grey "None" that no DOM text holds.
CANVAS_TEXT_JS = """(() => {
    const seen = new Set();
    window.__screenCanvasTexts = () => [...seen];
    const original = CanvasRenderingContext2D.prototype.fillText;
    CanvasRenderingContext2D.prototype.fillText = function (text, ...rest) {
        if (seen.size < 20000) seen.add(String(text));
        return original.call(this, text, ...rest);
    };
})();"""
SIDEBAR = '[data-testid="stSidebar"]'
OPEN_SIDEBAR = ['[data-testid="stExpandSidebarButton"]',
                '[data-testid="stSidebarCollapsedControl"] button',
                '[data-testid="stHeader"] button[aria-label*="sidebar" i]',
                'button[aria-label*="Open sidebar" i]']

GRIDS_JS = """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')].map(grid => ({
    cut: (s => s !== null && s.scrollWidth > s.clientWidth + 2)(
        grid.querySelector('.dvn-scroller')),
    headers: [...grid.querySelectorAll('[role="columnheader"]')].map(h => h.textContent.trim()),
    cells: [...grid.querySelectorAll('tbody [role="gridcell"], tbody td')]
             .map(c => c.textContent.trim()),
    tree: grid.querySelector('table') !== null}))"""

CHARTS_JS = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].map(chart => {
    const texts = sel => [...chart.querySelectorAll(sel)].map(t => t.textContent.trim());
    return {
      svg: chart.querySelector('svg') !== null,
      titles: texts('.role-title-text text, .role-title text'),
      axes: [...chart.querySelectorAll('.role-axis')].map(axis => ({
        title: [...axis.querySelectorAll('.role-axis-title text')]
                 .map(t => t.textContent.trim()).join(' '),
        labels: [...axis.querySelectorAll('.role-axis-label text')]
                  .map(t => t.textContent.trim())})),
      legends: texts('.role-legend-title text'),
      legendLabels: texts('.role-legend-label text')};
})"""

PAGE_HEIGHT_JS = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    const side = document.querySelector('[data-testid="stSidebarContent"]');
    const sideShown = side && side.getBoundingClientRect().right > 10;
    const header = document.querySelector('[data-testid="stHeader"]');
    return Math.max(main ? main.scrollHeight + main.getBoundingClientRect().top : 0,
                    sideShown ? side.scrollHeight : 0,
                    document.documentElement.scrollHeight,
                    header ? header.getBoundingClientRect().bottom : 0);
}"""


@dataclass
class Findings:
    """Problems seen on the screens, and which passes ran (the last test needs all three)."""

    problems: list = field(default_factory=list)
    passes: set = field(default_factory=set)
    shots: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    counts: dict = field(default_factory=lambda: dict.fromkeys(
        ["screens", "tables", "tables read", "table headers", "table cells", "canvas texts",
         "charts",
         "charts read", "axis titles"], 0))

    def count(self, what: str, number: int = 1) -> None:
        self.counts[what] += number

    def summary(self) -> str:
        return ", ".join(f"{what}: {number}" for what, number in self.counts.items())

    def add(self, where: str, problem: str) -> None:
        entry = f"{where}: {problem}"
        if entry not in self.problems:
            self.problems.append(entry)


@dataclass
class ScreenApp:
    """The app under test, the environment its CLI calls share, and its log."""

    url: str
    env: dict
    tmp: Path
    log: Path


@pytest.fixture(scope="module")
def screen_app(tmp_path_factory) -> ScreenApp:
    """``streamlit run Home.py`` on a fresh, empty store and no user yet (so the first-start
    form can be seen); the process group is stopped and the store released at the end."""
    tmp = tmp_path_factory.mktemp("screens")
    env, mongo_uri = store_env(tmp)
    process, running = start_streamlit(env, tmp, name="screens")
    try:
        _wait_healthy(running.url, process, running.log)
        yield ScreenApp(url=running.url, env=env, tmp=tmp, log=running.log)
    finally:
        _stop_group(process)
        release_store(env, mongo_uri)


@pytest.fixture(scope="module")
def findings() -> Findings:
    """Every problem seen by the passes below, reported together by the last test."""
    return Findings()


@pytest.fixture(scope="module")
def shots_dir() -> Path:
    """test-artifacts/screenshots/ (git-ignored), where the screen-*.png files go."""
    folder = ROOT / "test-artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def admin_pages(screen_app, browser, findings):
    """The admin (created now with the CLI, password on stdin) logged in on a desktop tab and
    on a phone tab, each in a browser context of its own; both are reused by the passes."""
    name, password = ADMIN
    sla_cli(screen_app.env, "user", "add", name, "--role", "admin", stdin=password + "\n")
    contexts, pages = [], {}
    try:
        for viewport, options in VIEWPORTS.items():
            context = browser.new_context(**options)
            context.set_default_timeout(RUN_TIMEOUT_MS)
            context.add_init_script(CANVAS_TEXT_JS)
            contexts.append(context)
            page = context.new_page()
            login(page, screen_app.url, name, password)
            pages[viewport] = page
        yield pages
    finally:
        for context in contexts:
            context.close()


@pytest.fixture(scope="module")
def full_data(screen_app) -> dict:
    """Real-looking tickets in the store: the UCI incident event log (../shared/data) imported
    with ``python -m sla import``, else ``python -m sla demo --tickets 3000``; every team on
    a Mon-Fri office calendar with two statuses paused; two alert subscriptions and a pass
    that cannot deliver them; then one ticket to open on the Tickets page (a resolved one with an agent, when there is one)."""
    if UCI_ZIP.exists():
        with zipfile.ZipFile(UCI_ZIP) as zipped:
            member = next(n for n in zipped.namelist()
                          if n.endswith(".csv") and "MACOSX" not in n)
            source = screen_app.tmp / Path(member).name
            source.write_bytes(zipped.read(member))
        run_cli(screen_app.env, "import", source)
        label = f"UCI incident log ({source.name})"
    else:
        run_cli(screen_app.env, "demo", "--tickets", DEMO_TICKETS)
        label = f"python -m sla demo --tickets {DEMO_TICKETS}"
    run_cli(screen_app.env, "demo", "--tickets", 300)  # a second import: "what moved" shows
    for clock_rule in (("calendar", "add", "Office", "--hours", "Mon-Fri 08:00-18:00",
                        "--holiday", "2016-03-25", "--holiday", "2016-03-28"),
                       ("calendar", "assign", "Office"),
                       ("settings", "set", "paused_statuses", "Awaiting User Info",
                        "Pending Customer")):
        run_cli(screen_app.env, *clock_rule)  # the lists in working time, with pauses
    for subscription in (("--kind", "at-risk", "--within", "2d", "--webhook",
                          "http://127.0.0.1:9/hook"),
                         ("--kind", "digest", "--email", "lead@example.com", "--every",
                          "weekly mon 08:00", "--tz", "Europe/Madrid")):
        run_cli(screen_app.env, "alerts", "add", *subscription)
    run_cli(screen_app.env, "alerts", "run")  # both fail here: the Deliveries tab says why
    exported = screen_app.tmp / "all-tickets.csv"
    run_cli(screen_app.env, "export", exported)
    frame = pd.read_csv(exported, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert len(frame), f"{label} left no ticket in the store"
    headers = {name.lower(): name for name in frame.columns}
    sr_column = frame.columns[0]  # the export starts with the SR number, whatever its header
    agent_column = next((headers[h] for h in headers if "resolved by" in h or "resolved_by" in h
                         or h == "agent"), None)
    class_column = next((headers[h] for h in headers if "class" in h or "resolved or" in h),
                        None)
    good = frame
    if agent_column:
        good = good[good[agent_column].str.strip() != ""]
    if class_column:
        good = good[good[class_column].str.strip().str.lower() == "resolved"]
    sr = (good if len(good) else frame)[sr_column].iloc[0].lstrip("'")
    return {"label": label, "tickets": len(frame), "sr": sr}


# ---------------------------------------------------------------- the passes

def test_first_start_screen(screen_app, browser, shots_dir, findings):
    """Before any user exists, the app offers the create-first-admin form (both viewports)."""
    for viewport, options in VIEWPORTS.items():
        context = browser.new_context(**options)
        context.set_default_timeout(RUN_TIMEOUT_MS)
        context.add_init_script(CANVAS_TEXT_JS)
        try:
            page = context.new_page()
            where = f"first-start, {viewport}, empty"
            goto(page, screen_app.url + "/")
            try:
                page.get_by_role("button", name="Create admin").wait_for(timeout=RUN_TIMEOUT_MS)
            except Exception:  # noqa: BLE001 - recorded, the shot is still taken
                findings.add(where, "no 'Create admin' form on a fresh store")
            wait_for_run(page)
            shoot(page, shots_dir / f"screen-first-admin-{viewport}-empty.png", findings, where)
            check_screen(page, where, findings)
        finally:
            context.close()
    findings.passes.add("first-start")


def test_empty_screens(screen_app, admin_pages, shots_dir, findings):
    """Every page on an empty store, desktop and phone."""
    visit_all(screen_app, admin_pages, shots_dir, findings, "empty", ticket=None)
    findings.passes.add("empty")


def test_full_screens(screen_app, admin_pages, full_data, shots_dir, findings):
    """Every page after a real-looking import, desktop and phone; the Tickets page with one
    ticket's full record open."""
    visit_all(screen_app, admin_pages, shots_dir, findings, "full", ticket=full_data["sr"])
    findings.passes.add("full")


def test_no_screen_shows_a_problem(screen_app, findings):
    """The one report: every problem of every screen, as (page, viewport, state): problem;
    when a screen showed an exception, the app log's error lines follow the list."""
    missing = {"first-start", "empty", "full"} - findings.passes
    print(f"{len(findings.shots)} screenshots; checked {findings.summary()}")
    print("\n".join(findings.notes))
    if any("exception" in problem for problem in findings.problems):
        findings.problems.append("errors in the app log: " + "; ".join(log_errors(screen_app.log)))
    assert not missing, (f"passes that did not run: {sorted(missing)}; run the whole file "
                         "(the screens are checked by the tests above this one)")
    assert not findings.problems, (f"{len(findings.problems)} problems on the screens "
                                   f"(screenshots in test-artifacts/screenshots/screen-*.png; "
                                   f"checked {findings.summary()}):\n"
                                   + "\n".join(findings.problems))


# ---------------------------------------------------------------- helpers

def app_pages() -> list[tuple[str, str]]:
    """(short name, URL path) of every page routed in Home.py's PAGES, for an admin: the
    name is the script's stem (Streamlit's URL path), Home is "/"."""
    try:
        tree = ast.parse((ROOT / "Home.py").read_text())
        listed = next(ast.literal_eval(node.value) for node in ast.walk(tree)
                      if isinstance(node, ast.Assign)
                      and any(getattr(t, "id", None) == "PAGES" for t in node.targets))
        found = [(Path(entry[0]).stem, "/" if Path(entry[0]).stem == "home"
                  else "/" + Path(entry[0]).stem) for entry in listed]
    except (OSError, SyntaxError, StopIteration, ValueError, IndexError, TypeError):
        return FALLBACK_PAGES
    return found or FALLBACK_PAGES


def log_errors(log: Path, limit: int = 8) -> list[str]:
    """The distinct last lines of the tracebacks in the Streamlit log (the browser only shows
    a redacted message)."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    errors = []
    for index, line in enumerate(lines):
        if line.startswith("Traceback"):
            end = next((j for j in range(index + 1, len(lines))
                        if lines[j] and not lines[j].startswith((" ", "\t", "Traceback"))),
                       None)
            if end is not None and lines[end] not in errors:
                errors.append(lines[end])
    return errors[-limit:] or ["(none found)"]


def run_cli(env: dict, *args) -> str:
    """``python -m sla ARGS`` with room for a large import (sla_cli stops at 180 s)."""
    result = subprocess.run([sys.executable, "-m", "sla", *map(str, args)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=IMPORT_TIMEOUT_S)
    assert result.returncode == 0, (f"python -m sla {' '.join(map(str, args))} exited "
                                    f"{result.returncode}: {result.stderr.strip()[-2000:]}")
    return result.stdout


def visit_all(app: ScreenApp, pages: dict, folder: Path, findings: Findings, state: str,
              ticket: str | None) -> None:
    for viewport, page in pages.items():
        for name, path in app_pages():
            where = f"{name}, {viewport}, {state}"
            try:
                goto(page, app.url + path)
                wait_for_charts(page)
                if name == "tickets" and ticket:
                    open_ticket(page, ticket, where, findings)
                if not page.get_by_text("Signed in as").count():
                    findings.add(where, "not signed in any more (the login form is shown)")
            except Exception as exc:  # noqa: BLE001 - one slow page must not hide the others
                findings.add(where, f"did not finish loading: {first_line(exc)}")
            shoot(page, folder / f"screen-{name}-{viewport}-{state}.png", findings, where)
            check_screen(page, where, findings)
            if name == "dashboard":
                filters_reachable = second_view(
                    page, folder, findings, "dashboard-filters", viewport, state,
                    lambda: expand(page, "Filters"))
                if viewport == "phone":
                    filters_reachable |= phone_sidebar(page, folder, findings, state)
                    if not filters_reachable:
                        findings.add(f"dashboard, phone, {state}",
                                     "the filters cannot be reached on a phone")
                if state == "full":
                    second_view(page, folder, findings, "dashboard-moved", viewport, state,
                                lambda: expand(page, "What moved since the previous import"))
            if name == "agents":
                second_view(page, folder, findings, "agents-score", viewport, state,
                            lambda: choose(page, "By the old system's score"))
            if name == "settings":
                second_view(page, folder, findings, "settings-teams", viewport, state,
                            lambda: open_tab(page, "Teams"))
                second_view(page, folder, findings, "settings-users", viewport, state,
                            lambda: open_tab(page, "Users"))
                second_view(page, folder, findings, "settings-alerts", viewport, state,
                            lambda: open_tab(page, "Alerts"))
                second_view(page, folder, findings, "settings-deliveries", viewport, state,
                            lambda: open_tab(page, "Deliveries"))


def second_view(page, folder: Path, findings: Findings, shot: str, viewport: str, state: str,
                open_it) -> bool:
    """Open something on the page (an expander, a tab), then shoot and check it as a screen
    of its own, ``screen-<shot>-<viewport>-<state>.png``; whether it could be opened."""
    where = f"{shot}, {viewport}, {state}"
    try:
        if not open_it():
            return False
        wait_for_run(page)
        wait_for_charts(page)
    except Exception as exc:  # noqa: BLE001
        findings.add(where, f"could not be opened: {first_line(exc)}")
        return False
    shoot(page, folder / f"screen-{shot}-{viewport}-{state}.png", findings, where)
    check_screen(page, where, findings)
    return True


def expand(page, label: str) -> bool:
    """Open the expander of that label in the main area; False when there is none."""
    summary = page.locator(f'{MAIN} [data-testid="stExpander"] summary').filter(
        has_text=re.compile(rf"^\W*{re.escape(label)}\s*$"))
    if not summary.count():
        summary = page.locator(f'{MAIN} [data-testid="stExpander"] summary').filter(
            has_text=label)
    if not summary.count():
        return False
    summary.first.click()
    time.sleep(0.5)
    return True


def choose(page, label: str) -> bool:
    """Press the segmented-control option of that label; False when there is none."""
    option = page.locator(MAIN).get_by_text(label, exact=True)
    if not option.count():
        return False
    option.first.click()
    time.sleep(0.5)
    return True


def open_tab(page, label: str) -> bool:
    tab = page.get_by_role("tab", name=label, exact=True)
    if not tab.count():
        return False
    tab.first.click()
    time.sleep(0.5)
    return True


def open_ticket(page, sr: str, where: str, findings: Findings) -> None:
    """Type the SR into "Open ticket (SR number)" and wait for its record."""
    box = page.get_by_label("Open ticket (SR number)")
    if not box.count():
        findings.add(where, "no 'Open ticket (SR number)' box")
        return
    box.first.fill(sr)
    box.first.press("Enter")
    wait_for_run(page)
    try:
        page.get_by_role("heading", name=re.compile(re.escape(sr))).first.wait_for(
            timeout=RUN_TIMEOUT_MS)
    except Exception:  # noqa: BLE001
        findings.add(where, f"opening ticket {sr} showed no heading with its number")
    wait_for_run(page)


def phone_sidebar(page, folder: Path, findings: Findings, state: str) -> bool:
    """On the phone, open the sidebar (navigation, and the filters if they live there), shoot
    it as ``screen-sidebar-phone-<state>.png``, fold it again; whether it holds the filters."""
    where = f"sidebar, phone, {state}"
    for selector in OPEN_SIDEBAR:
        button = page.locator(selector)
        if button.count() and button.first.is_visible():
            button.first.click()
            time.sleep(0.8)
            break
    else:
        findings.add(where, "no visible button opens the sidebar on a phone")
        return False
    has_filters = page.locator(SIDEBAR).get_by_text("Filters", exact=True).count() > 0
    page.screenshot(path=str(folder / f"screen-sidebar-phone-{state}.png"), full_page=True)
    findings.shots.append(f"screen-sidebar-phone-{state}.png")
    close = page.locator('[data-testid="stSidebarCollapseButton"] button, '
                         '[data-testid="stSidebar"] button[aria-label*="Close" i]')
    if close.count() and close.first.is_visible():
        close.first.click()
    else:
        page.mouse.click(370, 400)  # a tap outside the drawer folds it on a phone
    time.sleep(0.5)
    return has_filters


def wait_for_charts(page, timeout_s: float = 15.0) -> None:
    """Until every Vega-Lite chart has drawn its SVG (a chart that never does is left for the
    screenshot to show)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        drawn = page.evaluate("""() => [...document.querySelectorAll(
            '[data-testid="stVegaLiteChart"]')].every(c => c.querySelector('svg, canvas'))""")
        if drawn:
            return
        time.sleep(0.3)


def shoot(page, path: Path, findings: Findings, where: str) -> None:
    """The whole page: the viewport is made as tall as the content (the main area scrolls in
    its own container, so a plain full-page shot would stop at the fold), then restored."""
    size = page.viewport_size
    try:
        height = int(page.evaluate(PAGE_HEIGHT_JS))
        if height > MAX_SHOT_HEIGHT:
            findings.notes.append(f"{where}: page is {height} px tall; the screenshot stops "
                                  f"at {MAX_SHOT_HEIGHT}")
        height = min(max(height, size["height"]), MAX_SHOT_HEIGHT)
        if height > size["height"]:
            page.set_viewport_size({"width": size["width"], "height": height})
            time.sleep(0.8)
        page.screenshot(path=str(path), full_page=True, timeout=RUN_TIMEOUT_MS)
        findings.shots.append(path.name)
    except Exception as exc:  # noqa: BLE001
        findings.add(where, f"screenshot failed: {first_line(exc)}")
    finally:
        page.set_viewport_size(size)


def check_screen(page, where: str, findings: Findings) -> None:
    """Record everything a manager must not see on this screen (see the module docstring)."""
    try:
        _check_screen(page, where, findings)
    except Exception as exc:  # noqa: BLE001
        findings.add(where, f"could not be checked: {first_line(exc)}")


def _check_screen(page, where: str, findings: Findings) -> None:
    findings.count("screens")
    icons = {text.strip() for text in page.locator('[data-testid*="Icon"]').all_text_contents()
             if re.fullmatch(r"[a-z0-9_]+", text.strip())}
    for box in page.locator('[data-testid="stException"]').all_inner_texts():
        findings.add(where, f"Streamlit exception: {one_line(box, 300)}")
    for box in page.locator('[data-testid="stAlertContentError"]').all_inner_texts():
        findings.add(where, f"error box: {one_line(box, 200)}")

    quoted = set(re.findall(r"\w+", " ".join(page.locator(f"{MAIN} code").all_inner_texts())))
    texts = {"main text": inner_text(page, MAIN), "sidebar": inner_text(page, SIDEBAR)}
    for source, text in texts.items():
        check_text(text, f"{where} [{source}]", findings, snake=False, icons=icons,
                   quoted=quoted)
    headings = page.locator(f'{MAIN} h1, {MAIN} h2, {MAIN} h3, {MAIN} h4, '
                            f'{MAIN} [data-testid="stMetricLabel"], {MAIN} label, '
                            f'{MAIN} [data-testid="stExpander"] summary').all_inner_texts()
    for heading in headings:
        check_text(heading, f"{where} [heading/label]", findings, snake=True, icons=icons)

    for card in page.locator('[data-testid="stMetric"]').all():
        label = card.locator('[data-testid="stMetricLabel"]')
        value = card.locator('[data-testid="stMetricValue"]')
        label_text = label.inner_text().strip() if label.count() else ""
        value_text = value.inner_text().strip() if value.count() else ""
        if not label_text:
            findings.add(where, f"headline number without a label: {value_text!r}")
        if not value_text:
            findings.add(where, f"headline card {label_text!r} without a value")

    for index, grid in enumerate(page.evaluate(GRIDS_JS), start=1):
        name = f"{where} [table {index}"
        findings.count("tables")
        if grid["cut"] and ", desktop," in f"{where},":  # a phone scrolls, its first pinned
            findings.add(where, f"table {index} scrolls sideways at 1440 px: "
                                f"{', '.join(grid['headers']) or 'headers drawn on a canvas'}")
        if not grid["tree"]:
            continue  # no accessibility table: the canvas cannot be read
        findings.count("tables read")
        findings.count("table headers", len(grid["headers"]))
        findings.count("table cells", len(grid["cells"]))
        for header in grid["headers"]:
            check_text(header, f"{name} header]", findings, snake=True)
        for cell in grid["cells"]:
            check_text(cell, f"{name} cell]", findings, snake=False)

    drawn = page.evaluate("() => window.__screenCanvasTexts ? window.__screenCanvasTexts() : []")
    findings.count("canvas texts", len(drawn))
    for text in drawn:
        check_text(text, f"{where} [table text drawn on canvas]", findings, snake=False)

    for index, chart in enumerate(page.evaluate(CHARTS_JS), start=1):
        name = f"{where} [chart {index}"
        findings.count("charts")
        if not chart["svg"]:
            continue  # drawn on a canvas: its text cannot be read
        findings.count("charts read")
        findings.count("axis titles", sum(1 for axis in chart["axes"] if axis["title"]))
        for title in chart["titles"] + chart["legends"]:
            check_text(title, f"{name} title]", findings, snake=True)
        for label in chart["legendLabels"]:
            check_text(label, f"{name} legend]", findings, snake=False)
            if label.endswith("…"):
                findings.add(where, f"chart {index} cuts a legend: {label!r}")
        for axis in chart["axes"]:
            check_text(axis["title"], f"{name} axis title]", findings, snake=True)
            for label in axis["labels"]:
                check_text(label, f"{name} axis label]", findings, snake=False)
            check_percent_axis(axis, f"{name} axis {axis['title'] or '(untitled)'}]", findings)


def check_text(text: str, where: str, findings: Findings, snake: bool,
               icons: set = frozenset(), quoted: set = frozenset()) -> None:
    """Internal names and raw values in ``text``; with ``snake``, any snake_case name too.

    Material icons are ligatures such as "filter_list": their names are left out, and so are
    words the page shows in code formatting (``quoted``: a command, a value quoted from a file).
    """
    for match in sorted(set(INTERNAL.findall(text)) - quoted):
        findings.add(where, f"internal name {match!r} in {context(text, match)!r}")
    for match in sorted(set(RAW_VALUE.findall(text)) - quoted):
        findings.add(where, f"raw {match!r} in {context(text, match)!r}")
    if snake:
        for match in sorted(set(SNAKE.findall(text)) - set(INTERNAL_NAMES) - icons - quoted):
            findings.add(where, f"snake_case name {match!r} in {context(text, match)!r}")


def check_percent_axis(axis: dict, where: str, findings: Findings) -> None:
    if not PERCENT_TITLE.search(axis["title"] or ""):
        return
    values = []
    for label in axis["labels"]:
        number = re.sub(r"[%\s,\u2009]", "", label).replace("\u2212", "-")
        try:
            values.append(float(number))
        except ValueError:
            return  # not a numeric axis (e.g. team names under an "SLA" title)
    if values and (max(values) > 100 or min(values) < 0):
        findings.add(where, f"percentage axis runs {min(values):g} to {max(values):g}")


def inner_text(page, selector: str) -> str:
    found = page.locator(selector)
    return found.first.inner_text() if found.count() else ""


def context(text: str, match: str, width: int = 50) -> str:
    at = text.find(match)
    return one_line(text[max(0, at - width):at + len(match) + width], 2 * width + len(match))


def one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
