"""Cancel in a real browser, with a real worker running: on the Tasks list (a row's Cancel
with its confirm, and the bulk Cancel of selected rows) and on a running task's page, whose
task is told within seconds and stays cancelled; Retry is then offered on the cancelled
rows. What the page shows is what the API lists."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import ROOT, Server, stop
from tests.browser.session import logged_in, shot

HANDLERS = "tests.runner.cancel_handlers"


def add_task(page: Page, url: str, code: str, action: str, args: dict[str, object],
             run_at: str | None = None) -> int:
    """Through the API, as the logged-in admin's own script would (session and CSRF)."""
    token = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    response = page.request.post(f"{url}/api/tasks", headers={"X-CSRF-Token": token}, data={
        "code": code, "action": action, "args": args, "run_at": run_at})
    assert response.status == 201, response.text()
    return int(response.json()["task_id"])


def status_of(page: Page, url: str, task_id: int) -> str:
    return str(page.request.get(f"{url}/api/tasks/{task_id}").json()["task"]["status"])


def test_cancel_on_the_list_in_bulk_and_on_a_running_tasks_page(server: Server,
                                                                tmp_path: Path) -> None:
    marker, told = tmp_path / "started", tmp_path / "told"
    worker = subprocess.Popen([sys.executable, "-m", "taskdesk", "worker"], env=server.env,
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with logged_in(server) as (page, confirms):
            later = "2099-01-01T00:00:00"  # waiting: the worker leaves them be
            waiting = [add_task(page, server.url, f"later-{n}", f"{HANDLERS}:record_run",
                                {"out": str(tmp_path / "ran")}, run_at=later)
                       for n in range(3)]
            running = add_task(page, server.url, "running", f"{HANDLERS}:until_cancelled",
                               {"marker": str(marker), "out": str(told)})

            page.goto(f"{server.url}/tasks")
            row = page.locator(f"tr[data-task-id='{waiting[0]}']")
            row.locator("button:has-text('Cancel')").click()
            expect(row.locator(".badge")).to_have_text("cancelled")
            assert confirms == [f"Cancel task {waiting[0]}?"]
            expect(row.locator("button:has-text('Retry')")).to_be_visible()

            for task_id in waiting[1:]:
                page.locator(f"input.row-select[value='{task_id}']").check()
            page.locator(".bulk-actions button:has-text('Cancel')").click()
            for task_id in waiting[1:]:
                expect(page.locator(f"tr[data-task-id='{task_id}'] .badge")).to_have_text(
                    "cancelled")
            shot(page, "ui-tasks-cancelled")

            deadline = time.monotonic() + 30
            while not marker.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert marker.exists(), "the worker did not start the running task"
            page.goto(f"{server.url}/tasks/{running}")
            expect(page.locator(".badge").first).to_have_text("processing")
            shot(page, "ui-task-running-before-cancel")
            page.locator("button:has-text('Cancel')").click()
            expect(page.locator(".badge").first).to_have_text("cancelled")
            deadline = time.monotonic() + 5
            while not told.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert told.read_text().startswith("told after")
            page.reload()
            expect(page.locator("td:has-text('cancelled by admin user admin')")).to_be_visible()
            shot(page, "ui-task-cancelled")
            assert [status_of(page, server.url, t) for t in [*waiting, running]] == [
                "cancelled"] * 4
            assert not (tmp_path / "ran").exists()
    finally:
        stop(worker)
    assert confirms[-1] == f"Cancel task {running} (it is running: it is told to stop)?"
