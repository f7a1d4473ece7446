"""Extensions > Schedules in a real browser: a schedule added with `taskdesk schedule add` is
listed with its next firings; Run now adds its task, which the page then links to."""

from __future__ import annotations

import subprocess
import sys

from playwright.sync_api import expect

from tests.browser.conftest import ROOT, Server
from tests.browser.session import logged_in, shot


def test_run_now_on_the_schedules_page_adds_the_task(server: Server) -> None:
    subprocess.run([sys.executable, "-m", "taskdesk", "schedule", "add", "tick",
                    "tests.support.handlers:noop", "--every", "hour"],
                   env=server.env, cwd=ROOT, check=True, capture_output=True)
    with logged_in(server) as (page, _):

        page.goto(f"{server.url}/schedules")
        row = page.locator('tr[data-schedule="tick"]')
        expect(row).to_contain_text("every hour")
        expect(row.locator("td[data-label='Next firings'] div")).to_have_count(3)
        expect(row).to_contain_text("never")
        row.locator("button:has-text('Run now')").click()
        expect(page.locator("#toasts")).to_contain_text("added task 1 of schedule tick")
        link = page.locator('tr[data-schedule="tick"] a[href="/tasks/1"]')
        expect(link).to_be_visible()  # after the page reloads itself
        shot(page, "ui-schedules-run-now")
        link.click()
        expect(page).to_have_url(f"{server.url}/tasks/1")
        expect(page.locator("main")).to_contain_text("tick")
