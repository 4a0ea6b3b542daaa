"""Sessions in a real browser: a login cookie copied before a logout, a password change or a
removal no longer logs in; an open page falls back to the login form at its next run;
failed logins from one address refuse only that address, never end the user's open
session, and ``python -m sla user unlock`` lets that address in again.

Each test logs in a user of its own (made with the CLI), so the admin and viewer of
test_browser.py are left as they are. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import time

import pytest

from sla.service import accounts
from sla.storage import users
from tests.e2e.conftest import (
    RUN_TIMEOUT_MS,
    VIEWPORT,
    assert_no_exception,
    goto,
    login,
    screenshot,
    wait_for_run,
)
from ui.auth import COOKIE_NAME

pytestmark = pytest.mark.e2e

PASSWORD = "session-pass-1234"
COOKIE_TIMEOUT_S = 30


@pytest.fixture(scope="module")
def people(app):
    """Viewers of this module's own, one per test, made with ``python -m sla user add``."""
    names = ("carol", "dave", "erin", "frank")
    for name in names:
        app.cli("user", "add", name, "--role", "viewer", stdin=PASSWORD + "\n")
    return names


@pytest.fixture
def contexts(browser):
    """New browser contexts (each a browser of its own, with its own cookies), closed at
    the end of the test."""
    opened = []

    def new_context(address: str | None = None, tls: bool = False):
        """A browser; with ``address`` it comes through a proxy that names it (the app
        believes X-Forwarded-For from localhost, see SLA_TRUSTED_PROXIES), with ``tls``
        through one that says the browser used HTTPS."""
        headers = {**({"X-Forwarded-For": address} if address else {}),
                   **({"X-Forwarded-Proto": "https"} if tls else {})}
        context = browser.new_context(viewport=VIEWPORT, extra_http_headers=headers or None)
        context.set_default_timeout(RUN_TIMEOUT_MS)
        opened.append(context)
        return context

    yield new_context
    for context in opened:
        context.close()


def logged_in(new_context, app, username: str):
    """A page logged in through the form, once its login cookie is set; (page, cookie)."""
    page = new_context().new_page()
    login(page, app.url, username, PASSWORD)
    return page, wait_for_cookie(page.context)


def wait_for_cookie(context) -> dict:
    deadline = time.monotonic() + COOKIE_TIMEOUT_S
    while time.monotonic() < deadline:
        found = [c for c in context.cookies() if c["name"] == COOKIE_NAME]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"the login cookie {COOKIE_NAME} was not set")


def open_with_cookie(new_context, app, cookie: dict):
    """The app opened in a browser that has nothing but ``cookie``."""
    context = new_context()
    context.add_cookies([cookie])
    page = context.new_page()
    goto(page, app.url + "/")
    return page


def assert_signed_in(page, username: str) -> None:
    page.get_by_text(f"Signed in as {username}").wait_for(timeout=RUN_TIMEOUT_MS)
    assert_no_exception(page)


def assert_login_form(page) -> None:
    """The login form shows, and stays (no cookie login reruns into the app)."""
    page.get_by_role("textbox", name="User name", exact=True).wait_for(timeout=RUN_TIMEOUT_MS)
    wait_for_run(page, settle_s=2.0)
    assert_no_exception(page)
    assert page.get_by_role("textbox", name="User name", exact=True).is_visible()
    assert page.get_by_role("button", name="Log in", exact=True).is_visible()
    assert page.get_by_text("Signed in as").count() == 0
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    assert page.get_by_text("User not authorized").count() == 0


def assert_cookie_deleted(context) -> None:
    """A refused login cookie is deleted from the browser."""
    deadline = time.monotonic() + COOKIE_TIMEOUT_S
    while any(c["name"] == COOKIE_NAME for c in context.cookies()):
        assert time.monotonic() < deadline, "the refused login cookie was not deleted"
        time.sleep(0.2)


def next_run(page) -> None:
    """Make the open page run again, as any click does (here: the Dashboard link)."""
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Dashboard", exact=True).click()
    wait_for_run(page)


def test_a_cookie_copied_before_logout_no_longer_logs_in(app, people, contexts, screenshots):
    username = people[0]
    page, cookie = logged_in(contexts, app, username)
    assert_signed_in(open_with_cookie(contexts, app, cookie), username)  # the copy works

    page.get_by_role("button", name=re.compile(r"Log out$")).click()
    assert_login_form(page)

    copied = open_with_cookie(contexts, app, cookie)
    assert_login_form(copied)
    assert_cookie_deleted(copied.context)
    path = screenshot(copied, screenshots, "session-revoked-login")
    assert path.stat().st_size > 0


def test_the_login_cookie_is_secure_behind_tls_and_strict_always(app, people, contexts):
    """Finding 10: served over HTTPS (a proxy says so), the cookie is never sent over HTTP."""
    plain = logged_in(contexts, app, people[0])[1]
    page = contexts(tls=True).new_page()
    login(page, app.url, people[0], PASSWORD)
    secure = wait_for_cookie(page.context)
    assert (plain["secure"], secure["secure"]) == (False, True)
    assert plain["sameSite"] == secure["sameSite"] == "Strict"


def test_a_password_change_ends_every_session(app, people, contexts):
    username = people[1]
    page, cookie = logged_in(contexts, app, username)
    app.cli("user", "passwd", username, stdin="a-new-password-5678\n")

    assert_login_form(open_with_cookie(contexts, app, cookie))
    next_run(page)  # the open page too
    assert_login_form(page)
    assert_cookie_deleted(page.context)


def test_a_removed_user_falls_back_to_the_login_form(app, people, contexts):
    username = people[2]
    page, cookie = logged_in(contexts, app, username)
    app.cli("user", "remove", username)

    next_run(page)
    assert_login_form(page)
    assert_login_form(open_with_cookie(contexts, app, cookie))


def test_failed_logins_refuse_one_address_and_unlock_lets_it_in(app, people, contexts,
                                                                  screenshots):
    """Findings 1 and 2: an anonymous client failing on purpose is refused from its own
    address, even with the right password; the user's open page and other browsers go on."""
    username = people[3]
    page, cookie = logged_in(contexts, app, username)
    attacker = contexts("203.0.113.7").new_page()
    goto(attacker, app.url + "/")
    for _ in range(accounts.ATTEMPTS_PER_USER):
        submit_login(attacker, username, "not-the-password")
    attacker.get_by_text(users.LOGIN_REFUSED).wait_for(timeout=RUN_TIMEOUT_MS)
    submit_login(attacker, username, PASSWORD)  # the right password, from that address
    attacker.get_by_text(users.LOGIN_REFUSED).wait_for(timeout=RUN_TIMEOUT_MS)
    assert attacker.get_by_text("Signed in as").count() == 0
    screenshot(attacker, screenshots, "login-refused")

    next_run(page)
    assert_signed_in(page, username)  # the open session goes on
    assert_signed_in(open_with_cookie(contexts, app, cookie), username)
    elsewhere = contexts("198.51.100.2").new_page()
    login(elsewhere, app.url, username, PASSWORD)  # the user from another address: in

    assert app.cli("user", "unlock", username).strip() == f"unlocked {username}"
    submit_login(attacker, username, PASSWORD)
    assert_signed_in(attacker, username)


def submit_login(page, username: str, password: str) -> None:
    page.get_by_role("textbox", name="User name", exact=True).fill(username)
    page.get_by_role("textbox", name="Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    wait_for_run(page)
