"""The app in a real browser: log in, upload and import an export, check the figures against
``python -m sla``, download tickets, role checks, log out; a screenshot of every page.

The tests run in order and share one logged-in admin page (run with ``-x``). Screenshots go
to test-artifacts/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.parse
from urllib.parse import quote

import openpyxl
import pandas as pd
import pytest

from sla.service import demo
from tests.e2e.conftest import (
    RUN_TIMEOUT_MS,
    VIEWPORT,
    assert_no_exception,
    goto,
    login,
    metrics,
    nav_titles,
    screenshot,
    wait_for_run,
)

pytestmark = pytest.mark.e2e

TICKETS = 600
DASHBOARD_KPIS = {  # card label -> (summary key, kind)
    "Total tickets": ("total_tickets", "count"), "Resolved": ("resolved", "count"),
    "Pending": ("pending", "count"), "Breaches": ("breaches", "count"),
    "Response SLA met": ("response_sla_pct", "pct"),
    "Resolution SLA met": ("resolution_sla_pct", "pct"),
}


def shown(value, kind: str) -> str:
    """A figure as the cards show it: counts with thousands separators, % to 1 decimal."""
    if value is None:
        return "–"
    return f"{value:,}" if kind == "count" else f"{value:.1f} %"


def expected_cards(summary: dict) -> dict:
    return {label: shown(summary[key], kind) for label, (key, kind) in DASHBOARD_KPIS.items()}


def shown_cards(page) -> dict:
    cards = dict(metrics(page))
    missing = set(DASHBOARD_KPIS) - set(cards)
    assert not missing, f"KPI cards missing on {page.url}: {missing}; cards: {cards}"
    return {label: cards[label] for label in DASHBOARD_KPIS}


def open_from_sidebar(page, title: str) -> None:
    """Click a page in the sidebar navigation (the session, and its login, carry on)."""
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    wait_for_run(page)


def wait_for_title(page, title: str) -> None:
    page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=RUN_TIMEOUT_MS)
    wait_for_run(page)
    assert_no_exception(page)


@pytest.fixture(scope="module")
def requests_made() -> list[str]:
    """Every URL the admin's tab asked for, from Playwright's request log."""
    return []


@pytest.fixture(scope="module")
def admin_page(app, browser, requests_made):
    """One browser tab, logged in as the admin, shared by the ordered tests below; its
    requests are logged in ``requests_made``."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(RUN_TIMEOUT_MS)
    page = context.new_page()
    page.on("request", lambda request: requests_made.append(request.url))
    login(page, app.url, *app.users["admin"])
    yield page
    context.close()


@pytest.fixture(scope="module")
def export_xlsx(app):
    """The seed-shaped export (600 tickets, seed 3, up to 2026-10-31) under one title row."""
    frame = demo.generate_export(TICKETS, seed=3, end=dt.date(2026, 10, 31))
    path = app.tmp / "SR_Report_e2e.xlsx"
    path.write_bytes(demo.to_xlsx_bytes(frame, ["SR Report"]))
    return path


def test_admin_sees_every_page(admin_page):
    titles = nav_titles(admin_page)
    assert titles == ["Home", "Dashboard", "Agent Performance", "Team Performance", "Hand-offs",
                      "People", "Tickets", "Alerts", "Upload", "Settings",
                      "How the numbers work"], titles


def test_upload_dry_run_then_import(admin_page, export_xlsx, screenshots):
    page = admin_page
    open_from_sidebar(page, "Upload")
    wait_for_title(page, "Upload an export")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(export_xlsx)
    page.get_by_text("Validation (dry run: nothing written yet)").wait_for(timeout=RUN_TIMEOUT_MS)
    wait_for_run(page)
    assert_no_exception(page)
    dry = dict(metrics(page))
    assert dry["New"] == f"{TICKETS:,}" and dry["Rows read"] == f"{TICKETS:,}", dry
    assert dry["Rejected rows"] == "0", dry
    assert page.get_by_text("Column mapping").count() and page.get_by_text("Preview").count()
    screenshot(page, screenshots, "upload-dry-run")

    page.get_by_role("button", name=re.compile(r"Import$")).click()
    page.get_by_text("Imported. Every page now shows the new figures.").wait_for(
        timeout=RUN_TIMEOUT_MS)
    wait_for_run(page)
    assert_no_exception(page)
    imported = dict(metrics(page)[-5:])  # the "Imported" report comes last
    assert imported == {"New": f"{TICKETS:,}", "Updated": "0", "Unchanged": "0",
                        "Rejected rows": "0", "Rows read": f"{TICKETS:,}"}, imported
    assert not page.get_by_text("Validation (dry run: nothing written yet)").count()
    assert not page.get_by_role("button", name=re.compile(r"Import$")).count()
    history = page.locator('[data-testid="stDataFrame"]').last
    assert history.is_visible()
    screenshot(page, screenshots, "upload")


def test_dashboard_matches_cli_summary(admin_page, app, screenshots):
    page = admin_page
    open_from_sidebar(page, "Dashboard")
    wait_for_title(page, "Dashboard")
    summary = json.loads(app.cli("summary", "--json"))
    assert summary["total_tickets"] == TICKETS
    assert shown_cards(page) == expected_cards(summary)
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=RUN_TIMEOUT_MS)
    screenshot(page, screenshots, "dashboard")


def test_filtered_dashboard_url_matches_cli(admin_page, app):
    page = admin_page
    goto(page, f"{app.url}/dashboard?team=L2&priority=P3")
    wait_for_title(page, "Dashboard")
    assert page.get_by_text("Signed in as admin").count(), "a new URL lost the login"
    summary = json.loads(app.cli("summary", "--json", "--team", "L2", "--priority", "P3"))
    assert 0 < summary["total_tickets"] < TICKETS
    assert shown_cards(page) == expected_cards(summary)
    assert "team=L2" in page.url and "priority=P3" in page.url, page.url


def test_a_link_with_values_not_held_names_them_and_applies_the_rest(admin_page, app,
                                                                       screenshots):
    page = admin_page
    goto(page, f"{app.url}/dashboard?team=L9&team=L2&priority=ZZ&from=garbage")
    wait_for_title(page, "Dashboard")
    notice = page.get_by_text("Not applied from the link:")
    notice.wait_for(timeout=RUN_TIMEOUT_MS)
    text = notice.inner_text()
    for named in ("from is not a date (YYYY-MM-DD): 'garbage'.", "'L9'", "'ZZ'",
                  "The other filters apply."):
        assert named in text, text
    summary = json.loads(app.cli("summary", "--json", "--team", "L2"))
    assert 0 < summary["total_tickets"] < TICKETS
    assert shown_cards(page) == expected_cards(summary)
    screenshot(page, screenshots, "dashboard-link-not-applied")


def test_a_saved_view_opens_its_filters_and_the_link_follows(admin_page, app, screenshots):
    """Save the filters in force as a shared view in the filter bar's form, then open it on a
    bare Dashboard: the cards and the URL are the view's (as the CLI's --view counts them)."""
    page = admin_page
    goto(page, f"{app.url}/dashboard?team=L2&priority=P3")
    wait_for_title(page, "Dashboard")
    bar = page.locator('[data-testid="stExpander"]').filter(has_text="Filters").first
    bar.locator("summary").click()
    page.get_by_role("button", name="Save as a view").click()
    page.get_by_role("textbox", name="Name").fill("L2 <i>P3</i>")
    page.get_by_text("Share with everyone").click()
    screenshot(page, screenshots, "view-save-form")
    page.get_by_role("button", name="Save view").click()
    page.get_by_text("Saved the view").wait_for(timeout=RUN_TIMEOUT_MS)
    saved = json.loads(app.cli("view", "list", "--json"))
    assert [(v["name"], v["shared"], v["filters"]) for v in saved] == [
        ("L2 <i>P3</i>", True, {"team": ["L2"], "priority": ["P3"]})]

    goto(page, f"{app.url}/dashboard")
    wait_for_title(page, "Dashboard")
    bar = page.locator('[data-testid="stExpander"]').filter(has_text="Filters").first
    bar.locator("summary").click()
    box = bar.locator('[data-testid="stSelectbox"]').filter(has_text="Saved view")
    box.locator("input").click()
    page.get_by_role("option", name="L2 <i>P3</i> (shared)", exact=True).click()
    page.get_by_text("Opened the view").wait_for(timeout=RUN_TIMEOUT_MS)
    wait_for_run(page)
    assert "team=L2" in page.url and "priority=P3" in page.url, page.url
    summary = json.loads(app.cli("summary", "--json", "--view", "L2 <i>P3</i>"))
    assert 0 < summary["total_tickets"] < TICKETS
    assert shown_cards(page) == expected_cards(summary)
    screenshot(page, screenshots, "view-opened")


def download(page, url: str, title: str, button: str, saved_as):
    """Open ``url``, press the download button named ``button`` and save what it gives as
    ``saved_as``; the name the browser suggested. The button's name is matched as a part,
    since its icon's ligature is part of the accessible name."""
    goto(page, url)
    wait_for_title(page, title)
    with page.expect_download(timeout=RUN_TIMEOUT_MS) as download_info:
        page.get_by_role("button", name=button).click()
    download_info.value.save_as(saved_as)
    return download_info.value.suggested_filename


def test_tickets_csv_matches_cli_export(admin_page, app, screenshots):
    page = admin_page
    downloaded = app.tmp / "browser-tickets-L2.csv"
    download(page, f"{app.url}/tickets?team=L2", "Tickets", "Download these tickets (CSV)",
             downloaded)
    exported = app.tmp / "cli-tickets-L2.csv"
    app.cli("export", "--team", "L2", str(exported))

    from_browser, from_cli = pd.read_csv(downloaded), pd.read_csv(exported)
    assert len(from_browser) > 0 and set(from_browser["Team"]) == {"L2"}
    assert len(from_browser) < TICKETS
    pd.testing.assert_frame_equal(from_browser, from_cli)
    caption = page.get_by_text(re.compile(r"[\d,]+ tickets match")).first.inner_text()
    assert caption.startswith(f"{len(from_cli):,} tickets match"), caption
    screenshot(page, screenshots, "tickets")


def test_the_report_download_is_the_views_workbook(admin_page, app, screenshots):
    page = admin_page
    downloaded = app.tmp / "browser-report-L2.xlsx"
    assert download(page, f"{app.url}/dashboard?team=L2", "Dashboard",
                    "Report of this view (Excel)", downloaded) == "sla-report.xlsx"
    book = openpyxl.load_workbook(downloaded)
    assert book.sheetnames[:4] == ["Summary", "Teams", "Agents", "Trend"]
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row}
    expected = json.loads(app.cli("summary", "--json", "--team", "L2"))
    assert summary["Tickets"] == expected["total_tickets"] and "L2" in summary["View"]
    assert [row[0] for row in book["Teams"].iter_rows(min_row=2, values_only=True)] == ["L2"]
    screenshot(page, screenshots, "report-download")


def test_addresses_in_a_link_anyone_can_send_stay_text(admin_page, app, screenshots):
    """A search for a web address, an e-mail address or a www. name (in a URL anyone can
    send) is shown in the caption as text, never as a live link."""
    page = admin_page
    for search in ("Re-login: https://evil.example/sso", "www.evil.example",
                   "ceo@evil.example"):
        goto(page, f"{app.url}/tickets?q={quote(search)}")
        wait_for_title(page, "Tickets")
        caption = page.get_by_text(re.compile(r"search")).first
        assert search in caption.inner_text().replace("\u2060", ""), search
        assert page.locator('a[href*="evil.example"]').count() == 0, search
    screenshot(page, screenshots, "tickets-search-address")


@pytest.mark.parametrize("path, title, name", [
    ("/", "SLA Tracker", "home"),
    ("/agents", "Agent Performance", "agents"),
    ("/teams", "Team Performance", "teams"),
    ("/settings", "Settings", "settings"),
])
def test_other_pages_render(admin_page, app, screenshots, path, title, name):
    page = admin_page
    goto(page, app.url + path)
    wait_for_title(page, title)
    if name == "home":
        assert dict(metrics(page))["Tickets held"] == f"{TICKETS:,}"
    screenshot(page, screenshots, name)


def test_no_request_leaves_the_app(admin_page, app, requests_made):
    """Every page the tests above opened asked only the app: no fonts, icons or scripts from
    elsewhere (an offline or locked-down network shows the same pages)."""
    app_origin = urllib.parse.urlsplit(app.url).netloc
    outside = sorted({url for url in requests_made
                      if urllib.parse.urlsplit(url).scheme in ("http", "https", "ws", "wss")
                      and urllib.parse.urlsplit(url).netloc != app_origin})
    assert len(requests_made) > 50 and not outside, outside
    favicon = admin_page.evaluate("document.querySelector('link[rel~=icon]').href")
    assert urllib.parse.urlsplit(favicon).netloc == app_origin, favicon


def test_viewer_has_no_admin_pages(app, browser, screenshots):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(RUN_TIMEOUT_MS)
    page = context.new_page()
    try:
        login(page, app.url, *app.users["viewer"])
        titles = nav_titles(page)
        assert {"Dashboard", "Alerts", "How the numbers work"} <= set(titles), titles
        assert "Upload" not in titles and "Settings" not in titles, titles
        goto(page, f"{app.url}/upload")
        assert_no_exception(page)
        assert page.get_by_text("Signed in as viewer").count(), "the viewer was logged out"
        assert page.locator('[data-testid="stFileUploader"]').count() == 0
        assert page.get_by_role("heading", name="Upload an export").count() == 0
        assert page.get_by_text("The Upload page needs the admin role; you are signed in as a "
                                "viewer.").count()
        screenshot(page, screenshots, "viewer-upload")
    finally:
        context.close()


def test_logout_shows_login_and_stays_out(admin_page, app, screenshots):
    page = admin_page
    goto(page, app.url + "/")
    page.get_by_role("button", name=re.compile(r"Log out$")).click()
    page.get_by_role("textbox", name="User name", exact=True).wait_for(timeout=RUN_TIMEOUT_MS)
    wait_for_run(page)
    assert_no_exception(page)
    assert page.get_by_text("Signed in as").count() == 0
    screenshot(page, screenshots, "login")

    page.reload(wait_until="domcontentloaded")
    wait_for_run(page)
    page.get_by_role("textbox", name="User name", exact=True).wait_for(timeout=RUN_TIMEOUT_MS)
    wait_for_run(page, settle_s=2.0)  # a cookie login would rerun into the app here
    assert page.get_by_role("textbox", name="User name", exact=True).is_visible()
    assert page.get_by_text("Signed in as").count() == 0
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0
