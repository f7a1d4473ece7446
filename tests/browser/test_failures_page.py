"""Tasks > Failures in a real browser: failed tasks grouped by class, an example traceback
unfolded, Retry all of one class (with its confirm) leaving the other class failed, then
Cancel all of it; what the page says is what the API lists."""

from __future__ import annotations

import subprocess
import sys

from playwright.sync_api import Page, expect

from tests.browser.conftest import ROOT, Server
from tests.browser.session import logged_in, shot


def add_failing(page: Page, url: str, code: str, action: str, args: dict[str, str]) -> None:
    token = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    response = page.request.post(f"{url}/api/tasks", headers={"X-CSRF-Token": token}, data={
        "code": code, "action": action, "args": args, "max_attempts": 1})
    assert response.status == 201, response.text()


def test_retry_all_and_cancel_all_of_a_class_in_the_browser(server: Server) -> None:
    with logged_in(server) as (page, confirms):
        for n in range(2):
            add_failing(page, server.url, f"boom-{n}", "tests.support.handlers:boom",
                        {"message": f"boom {n}"})
        add_failing(page, server.url, "quota", "tests.cli.hostile_handlers:fail_as",
                    {"name": "QuotaExceeded", "text": "<b>over</b> quota"})
        subprocess.run([sys.executable, "-m", "taskdesk", "start", "--quiet"], env=server.env,
                       cwd=ROOT, check=True, capture_output=True, timeout=60)

        page.goto(f"{server.url}/tasks")
        page.click("a.nav-link:has-text('Failures')")
        runtime = page.locator('tr[data-error-class="RuntimeError"]')
        quota = page.locator('tr[data-error-class="tests.cli.hostile_handlers.QuotaExceeded"]')
        expect(runtime.locator("td").nth(1)).to_have_text("2")
        expect(quota.locator("td").nth(1)).to_have_text("1")
        quota.locator("summary").click()
        expect(quota.locator("pre")).to_contain_text("<b>over</b> quota")  # as text
        shot(page, "ui-failures")

        runtime.locator("button:has-text('Retry all')").click()
        expect(runtime).to_have_count(0)
        assert confirms == ["Retry the 2 failed task(s) of RuntimeError?"]
        listed = page.request.get(f"{server.url}/api/failures").json()
        assert [(g["error_class"], g["count"]) for g in listed] == [
            ("tests.cli.hostile_handlers.QuotaExceeded", 1)]

        quota.locator("button:has-text('Cancel all')").click()
        expect(page.locator("text=No task has failed.")).to_be_visible()
        shot(page, "ui-failures-handled")
        statuses = sorted(t["status"] for t in page.request.get(
            f"{server.url}/api/tasks").json()["tasks"])
        assert statuses == ["cancelled", "pending", "pending"]
