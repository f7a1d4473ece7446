"""The browser tests' one page: Debian's Chromium launched by Playwright, every dialog (a
confirm) accepted and its message recorded, and with `logged_in` the admin logged in on the
login page; the browser is closed at the end. `shot` saves a screenshot of the page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

from playwright.sync_api import Dialog, Page, ViewportSize, sync_playwright

from tests.browser.conftest import ADMIN, CHROMIUM, CHROMIUM_FLAGS, OUTPUT, PASSWORD, Server

TIMEOUT = 30_000  # milliseconds a step may take (a runner starts, runs, and the list refreshes)


class AdminPage(NamedTuple):
    page: Page
    confirms: list[str]  # the message of every dialog, in order; each was accepted


def shot(page: Page, name: str) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)


@contextmanager
def chromium_page(*, viewport: ViewportSize | None = None) -> Iterator[AdminPage]:
    """A new page (of `viewport`, else Playwright's default) whose steps wait up to TIMEOUT."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport=viewport)
            page.set_default_timeout(TIMEOUT)
            confirms: list[str] = []

            def accept(dialog: Dialog) -> None:
                confirms.append(dialog.message)
                dialog.accept()

            page.on("dialog", accept)
            yield AdminPage(page, confirms)
        finally:
            browser.close()


@contextmanager
def logged_in(server: Server, *,
              viewport: ViewportSize | None = None) -> Iterator[AdminPage]:
    """`chromium_page`, with the admin logged in on the login page."""
    with chromium_page(viewport=viewport) as admin:
        admin.page.goto(f"{server.url}/login")
        admin.page.fill("#name", ADMIN)
        admin.page.fill("#password", PASSWORD)
        admin.page.click("button[type=submit]")
        yield admin
