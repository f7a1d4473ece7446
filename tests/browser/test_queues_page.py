"""Extensions > Queues in a real browser: a queue's Pause (with its confirm) and Resume, and
pausing a queue with no task yet by name; what the page says is what the API lists."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Server
from tests.browser.session import logged_in, shot


def add_task(page: Page, url: str, code: str) -> None:
    """Through the API (into the default queue), as the logged-in admin's own script would
    (session and CSRF)."""
    token = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    response = page.request.post(f"{url}/api/tasks", headers={"X-CSRF-Token": token}, data={
        "code": code, "action": "tests.support.handlers:noop"})
    assert response.status == 201, response.text()


def test_pause_and_resume_a_queue_in_the_browser(server: Server) -> None:
    with logged_in(server) as (page, confirms):
        add_task(page, server.url, "job-1")
        add_task(page, server.url, "job-2")

        page.goto(f"{server.url}/queues")
        default = page.locator("tr[data-queue=default]")
        expect(default.locator("td").nth(1)).to_have_text("2")
        default.locator("button:has-text('Pause')").click()
        expect(default.locator(".badge")).to_have_text("paused")
        assert confirms == ["Pause the queue default? Its tasks wait until it is resumed."]

        page.fill("#q-name", "mail")  # a queue with no task yet
        page.click("#pause-by-name button")
        expect(page.locator("tr[data-queue=mail] .badge")).to_have_text("paused")
        shot(page, "ui-queues-paused")
        listed = {q["queue"]: q["paused"] for q in page.request.get(
            f"{server.url}/api/queues").json()}
        assert listed == {"default": True, "mail": True}

        page.locator("tr[data-queue=default] button:has-text('Resume')").click()
        expect(page.locator("tr[data-queue=default] .badge")).to_have_count(0)
        expect(page.locator("tr[data-queue=default] button")).to_have_text("Pause")
        shot(page, "ui-queues-resumed")
