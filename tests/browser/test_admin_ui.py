"""The admin's own script in a real browser: bulk actions on every task matching a filter,
with their confirm; an installer refusal shown in place; the selection kept while the list
refreshes itself."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import Server
from tests.browser.session import logged_in, shot


def add_tasks(page: Page, url: str, count: int) -> None:
    """Through the API, as the logged-in admin's own script would (session and CSRF)."""
    token = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    for n in range(count):
        response = page.request.post(f"{url}/api/tasks", headers={"X-CSRF-Token": token}, data={
            "code": f"bulk-{n}", "action": "tests.support.handlers:noop",
            "run_at": "2099-01-01T00:00:00Z"})
        assert response.status == 201, response.text()


def test_bulk_actions_and_an_upload_refusal_in_the_browser(server: Server,
                                                           tmp_path: Path) -> None:
    with logged_in(server) as (page, confirms):
        add_tasks(page, server.url, 3)

        page.goto(f"{server.url}/tasks?code=bulk")
        rows = page.locator("tr[data-task-id]")
        expect(rows).to_have_count(3)
        page.check("input.select-matching")
        page.select_option("#bulk-status", "paused")
        page.click("button:has-text('Set status')")
        expect(page.locator("#toasts")).to_contain_text("3 task(s) set to paused")
        expect(page.locator("tr[data-status=paused]")).to_have_count(3)
        assert confirms == ["Change the status of the selected tasks?"]

        first = rows.first.locator("input.row-select")
        first.check()
        with page.expect_response(lambda response: "/tasks?" in response.url
                                  and response.request.headers.get("hx-target") == "task-list"):
            pass  # one live refresh of the list
        expect(first).to_be_checked()
        page.click("button:has-text('Delete')")
        expect(rows).to_have_count(2)
        shot(page, "ui-bulk")

        bad = tmp_path / "broken.zip"
        bad.write_bytes(b"this is not a zip")
        page.goto(f"{server.url}/installer")
        page.set_input_files("#package", str(bad))
        page.click("#upload-form button[type=submit]")
        expect(page.locator("#upload-result")).to_contain_text("Refused:")
        shot(page, "ui-upload-refused")
