"""Two app processes on one database stay coherent: each caches its queries per data version
(``versions.data_version``), so an import made through one process shows in the other at its
next run, without a reload.

Process A and process B are two ``streamlit run Home.py`` on two free ports with the same
environment: the same SLA_DATA_DIR (the second finds the one embedded server through
embedded.json), or the same MONGO_URI and SLA_DB when MONGO_URI is set. A first export is
imported with the CLI; B's dashboard is opened; a second export (new SR numbers) is imported
through A's Upload page; a rerun in B (a filter changed and changed back) must show
the new total, equal to ``python -m sla summary --json``.

The tests run in order and share one logged-in page per process (run with ``-x``). The
second one imports an export reaching past the dates already held: a page opened before it
must show those tickets too at its next run (empty date inputs mean "all data").
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from sla.service import demo
from tests.e2e.conftest import (
    ADMIN,
    RUN_TIMEOUT_MS,
    VIEWPORT,
    App,
    _stop_group,
    _wait_healthy,
    assert_no_exception,
    goto,
    login,
    metrics,
    release_store,
    screenshot,
    sla_cli,
    start_streamlit,
    store_env,
    wait_for_run,
)
from tests.e2e.test_browser import expected_cards, open_from_sidebar, shown_cards, wait_for_title

pytestmark = pytest.mark.e2e

END = dt.date(2026, 10, 31)
FIRST, SECOND, THIRD = 200, 150, 50  # tickets: CLI import, then two browser uploads


def _export(path: Path, frame) -> Path:
    path.write_bytes(demo.to_xlsx_bytes(frame, ["SR Report"]))
    return path


@pytest.fixture(scope="module")
def two_apps(tmp_path_factory):
    """Processes A and B on one store, an admin made with the CLI, the first export (200
    tickets) imported with the CLI. Both process groups are stopped at the end, then the
    embedded server (or the MONGO_URI database is dropped)."""
    tmp = tmp_path_factory.mktemp("e2e-two")
    env, mongo_uri = store_env(tmp)
    processes, apps = [], []
    try:
        for name in ("a", "b"):
            process, running = start_streamlit(env, tmp, name)
            processes.append(process)
            apps.append(running)
        for process, running in zip(processes, apps):
            _wait_healthy(running.url, process, running.log)
        name, password = ADMIN
        sla_cli(env, "user", "add", name, "--role", "admin", stdin=password + "\n")
        for running in apps:
            running.users["admin"] = ADMIN
        first = _export(tmp / "SR_Report_first.xlsx", demo.generate_export(FIRST, seed=1, end=END))
        sla_cli(env, "import", str(first))
        yield apps[0], apps[1]
    finally:
        for process in processes:
            _stop_group(process)
        release_store(env, mongo_uri)


def _logged_in_page(browser, running: App):
    """A page in a browser context of its own: the login cookie is per host, not per port,
    so one context per process keeps the two sessions apart."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(RUN_TIMEOUT_MS)
    page = context.new_page()
    login(page, running.url, *running.users["admin"])
    return context, page


@pytest.fixture(scope="module")
def page_a(two_apps, browser):
    context, page = _logged_in_page(browser, two_apps[0])
    yield page
    context.close()


@pytest.fixture(scope="module")
def page_b(two_apps, browser):
    context, page = _logged_in_page(browser, two_apps[1])
    yield page
    context.close()


def _summary(running: App, *args: str) -> dict:
    return json.loads(running.cli("summary", "--json", *args))


def _total(page) -> str:
    return dict(metrics(page))["Total tickets"]


def _require(condition: bool, message: object) -> None:
    """A failure that is not an AssertionError, so the strict xfail below cannot swallow it."""
    if not condition:
        pytest.fail(str(message))


def _created_span(frame) -> tuple[dt.date, dt.date]:
    return frame["Created"].min().date(), frame["Created"].max().date()


def _choose_status(page, choice: str) -> None:
    """Pick a value in the filter bar's Status select box: one rerun, no page reload."""
    filters = page.locator('[data-testid="stExpander"]').filter(has_text="Filters").first
    box = filters.locator('[data-testid="stSelectbox"]').filter(has_text="Status")
    if not box.is_visible():
        filters.locator("summary").click()
        box.wait_for(state="visible", timeout=RUN_TIMEOUT_MS)
    option = page.get_by_role("option", name=choice, exact=True)
    text = box.locator("input")
    for _ in range(5):  # the list opens on a click or on the arrow key, depending on focus
        text.click()
        if not option.is_visible():
            text.press("ArrowDown")
        try:
            option.click(timeout=3000)
        except PlaywrightTimeout:
            text.press("Escape")
            continue
        wait_for_run(page)
        if text.input_value() == choice:
            break
    _require(text.input_value() == choice, f"Status shows {text.input_value()!r}, not {choice!r}")
    assert_no_exception(page)


def _rerun_without_reload(page) -> None:
    """Status "pending" then back to "all": two reruns of the same page, same URL."""
    url = page.url
    _choose_status(page, "pending")
    _choose_status(page, "all")
    _require(page.url == url, f"the URL changed: {url} -> {page.url}")


def _poll(page, done, timeout_s: float = RUN_TIMEOUT_MS / 1000):
    """Wait for runs to end until ``done(page)`` returns something true; its last value."""
    deadline = time.monotonic() + timeout_s
    while True:
        wait_for_run(page)
        assert_no_exception(page)
        value = done(page)
        if value or time.monotonic() > deadline:
            return value


def _upload_and_import(page, path: Path, new: int) -> None:
    """Through the Upload page: the dry run says ``new`` new tickets, then Import.

    After the import the result replaces the dry run: the import is done when the only five
    cards are this file's figures.
    """
    open_from_sidebar(page, "Upload")
    wait_for_title(page, "Upload an export")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(path)
    page.get_by_text("Validation (dry run: nothing written yet)").wait_for(timeout=RUN_TIMEOUT_MS)
    chip = page.locator('[data-testid="stFileUploader"] [data-testid="stFileChipName"]')

    def chosen(_page) -> list[str]:  # the chip shows a long name cut in the middle
        return [c.get_attribute("title") for c in chip.all()]

    _poll(page, lambda p: chosen(p) == [path.name]
          and dict(metrics(p)[:5]).get("Rows read") == f"{new:,}")
    dry = dict(metrics(page)[:5])
    _require(chosen(page) == [path.name], f"the uploader holds {chosen(page)}, not {path.name}")
    _require(dry == {"New": f"{new:,}", "Updated": "0", "Unchanged": "0", "Rejected rows": "0",
                     "Rows read": f"{new:,}"}, f"dry run: {dry}")
    page.get_by_role("button", name=re.compile(r"Import$")).click()
    page.get_by_text("Imported. Every page now shows the new figures.").wait_for(
        timeout=RUN_TIMEOUT_MS)
    expected = {"New": f"{new:,}", "Updated": "0", "Unchanged": "0", "Rejected rows": "0",
                "Rows read": f"{new:,}"}
    _poll(page, lambda p: len(metrics(p)) == 5 and dict(metrics(p)) == expected)
    imported = dict(metrics(page)[-5:])
    _require(imported == expected, f"imported: {imported}")


def _open_dashboard(page) -> None:
    open_from_sidebar(page, "Dashboard")
    wait_for_title(page, "Dashboard")


def test_import_in_a_shows_in_b_at_its_next_run(two_apps, page_a, page_b, screenshots):
    app_a, app_b = two_apps
    status = app_a.cli("server", "status")
    assert status.startswith(("running on port", "MONGO_URI is set")), status

    # the second export: new SR numbers (B-SR…), created within the first export's dates
    # (a wider span hits the bug of the next test)
    first = demo.generate_export(FIRST, seed=1, end=END)
    second = demo.generate_export(SECOND, seed=2, end=END - dt.timedelta(days=1), months=5)
    second["SR Number"] = "B-" + second["SR Number"].astype(str)
    (lo, hi), (lo2, hi2) = _created_span(first), _created_span(second)
    assert lo <= lo2 and hi2 <= hi, "the second export must lie within the first's dates"
    second_xlsx = _export(app_a.tmp / "SR_Report_second.xlsx", second)

    # B: the dashboard over the first import
    _open_dashboard(page_b)
    assert _total(page_b) == f"{FIRST:,}"

    # A: upload and import the second export in the browser; A's dashboard follows
    _upload_and_import(page_a, second_xlsx, SECOND)
    summary = _summary(app_a)
    assert summary["total_tickets"] == FIRST + SECOND, summary
    _open_dashboard(page_a)
    assert shown_cards(page_a) == expected_cards(summary)

    # B has not run since: it still shows what it drew before the import
    assert _total(page_b) == f"{FIRST:,}"

    # B: one rerun (Status: pending) already reads the new data version …
    _choose_status(page_b, "pending")
    pending = _summary(app_b, "--status", "pending")["total_tickets"]
    assert _total(page_b) == f"{pending:,}", (_total(page_b), pending)
    # … and back to all statuses: the new total, as the CLI says, without a reload
    _choose_status(page_b, "all")
    assert _total(page_b) == f"{FIRST + SECOND:,}"
    assert _summary(app_b) == summary
    assert shown_cards(page_b) == expected_cards(summary)
    page_b.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=RUN_TIMEOUT_MS)
    screenshot(page_b, screenshots, "two-processes-b")


def test_newer_export_shows_in_an_open_page_without_reload(two_apps, page_a, page_b,
                                                            screenshots):
    """The weekly case: an export of newer tickets (November) imported through A while B's
    dashboard is open. B's rerun should show every ticket, as the CLI does."""
    app_a, app_b = two_apps
    third = demo.generate_export(THIRD, seed=3, end=dt.date(2026, 11, 30), months=1)
    third["SR Number"] = "C-" + third["SR Number"].astype(str)
    third_xlsx = _export(app_a.tmp / "SR_Report_third.xlsx", third)

    _upload_and_import(page_a, third_xlsx, THIRD)
    total = _summary(app_a)["total_tickets"]
    _require(total == FIRST + SECOND + THIRD, total)

    _rerun_without_reload(page_b)
    shown_after_rerun = _total(page_b)
    dates = [box.input_value() for box in page_b.locator(
        '[data-testid="stExpander"] [data-testid="stDateInput"] input').all()]
    screenshot(page_b, screenshots, "two-processes-b-newer-export")
    goto(page_b, page_b.url)  # a reload shows them: the data and caches are right
    wait_for_title(page_b, "Dashboard")
    shown_after_reload = _total(page_b)
    _require(shown_after_reload == f"{total:,}", f"after a reload: {shown_after_reload}")
    assert shown_after_rerun == f"{total:,}", (
        f"B shows {shown_after_rerun} tickets after a rerun (dates in its filters {dates}), "
        f"{shown_after_reload} after a reload; the CLI says {total:,}")
