"""The Dashboard's "Total tickets" as one logged-in browser session sees it, for
tests/test_stack.py: ``PYTHONPATH=. python tests/stack/dashboard.py URL USER`` (password on
the first line of standard input) logs in with Chromium, prints ``{"total": "…"}``, then
reloads the page and prints it again for every further line it reads, until end of input.

A process of its own because Playwright's sync API runs one instance per thread, and the
browser tests of tests/e2e may hold that one already. Prints ``{"skip": "…"}`` when no
Chromium can be launched, ``{"error": "…"}`` when the page fails.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.e2e.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    RUN_TIMEOUT_MS,
    VIEWPORT,
    goto,
    login,
    metrics,
)
from tests.e2e.test_browser import open_from_sidebar, wait_for_title


def say(**message) -> None:
    print(json.dumps(message), flush=True)


def launch(playwright):
    """Debian's Chromium when present, else Playwright's own; None when neither starts."""
    attempts = ([{"executable_path": CHROMIUM}] if Path(CHROMIUM).exists() else []) + [{}]
    errors = []
    for options in attempts:
        try:
            return playwright.chromium.launch(args=CHROMIUM_ARGS, **options), errors
        except Exception as exc:  # noqa: BLE001 - any launch failure means "try the next"
            errors.append(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    return None, errors


def total(page) -> str:
    open_from_sidebar(page, "Dashboard")
    wait_for_title(page, "Dashboard")
    return dict(metrics(page))["Total tickets"]


def main(url: str, user: str) -> int:
    password = sys.stdin.readline().strip()
    with sync_playwright() as playwright:
        browser, errors = launch(playwright)
        if browser is None:
            say(skip="no Chromium could be launched: " + "; ".join(errors))
            return 0
        # The test's nginx has a throw-away certificate.
        context = browser.new_context(viewport=VIEWPORT, ignore_https_errors=True)
        context.set_default_timeout(RUN_TIMEOUT_MS)
        page = context.new_page()
        try:
            login(page, url, user, password)
            say(total=total(page))
            for _ in sys.stdin:
                goto(page, page.url)  # the login cookie keeps the reloaded page logged in
                say(total=total(page))
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            say(error=f"{type(exc).__name__}: {str(exc)[:1000]}")
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
