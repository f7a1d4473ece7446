"""The seed's step 3 in a real browser: log in, upload the example's zip on Installer, install
its module on Extensions, see my_task pending on Tasks, press Run Tasks, see it complete
without reloading, and read its line on Error logs. A screenshot of each page is saved."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import ADMIN, PASSWORD, ROOT, Server
from tests.browser.session import chromium_page, shot


def build_example(server: Server, folder: Path) -> Path:
    subprocess.run([sys.executable, "-m", "taskdesk", "extension", "build",
                    str(ROOT / "examples" / "test_module"), "--output", str(folder)],
                   env=server.env, check=True, capture_output=True)
    return next(folder.glob("test_module*.zip"))


def test_the_seed_step_three_in_a_browser(server: Server, tmp_path: Path) -> None:
    package = build_example(server, tmp_path)
    with chromium_page(viewport={"width": 1280, "height": 900}) as (page, _):
        problems: list[str] = []
        page.on("console", lambda message: problems.append(
            f"{page.url}: {message.text} {message.location}")
                if message.type == "error" else None)

        page.goto(f"{server.url}/installer")
        expect(page).to_have_url(re.compile(r"/login\?next="))
        page.fill("#name", ADMIN)
        page.fill("#password", PASSWORD)
        shot(page, "1-login")
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{server.url}/installer")

        page.set_input_files("#package", str(package))
        page.click("#upload-form button[type=submit]")
        expect(page.locator("#upload-result")).to_contain_text("Uploaded")
        expect(page.locator("tr[data-extension=test_module]")).to_be_visible()
        shot(page, "2-installer")

        page.goto(f"{server.url}/extensions")
        page.click("tr[data-module='module/test_module'] button:has-text('Install')")
        expect(page.locator("tr[data-module='module/test_module']")).to_contain_text("installed")
        shot(page, "3-extensions")

        page.goto(f"{server.url}/tasks")
        row = page.locator("tr", has_text="my_task")
        expect(row.locator(".badge")).to_have_text("pending")
        shot(page, "4-tasks-pending")
        page.focus("#run-tasks")
        page.keyboard.press("Enter")  # by keyboard, as anyone may press it
        expect(row.locator(".badge")).to_have_text("complete")  # the list refreshed itself
        shot(page, "5-tasks-complete")

        page.goto(f"{server.url}/error-log")
        expect(page.locator("table.error-log")).to_contain_text(
            "My task has successfully started!")
        shot(page, "6-error-logs")

        page.click("a.dropdown-toggle:has-text('Extensions')")
        page.click("a.dropdown-item:has-text('Tasks')")
        page.click("tr:has-text('my_task') a")  # the task's own page
        expect(page.locator("h1")).to_contain_text("my_task")
        expect(page.locator("table").nth(1)).to_contain_text("complete")  # its attempt
        shot(page, "7-task-page")

        page.goto(f"{server.url}/")
        expect(page.locator(".count[data-status=complete]")).to_have_text("1")
        page.wait_for_function("window.Chart && Chart.getChart('activity-chart')")
        shot(page, "8-dashboard")

        page.set_viewport_size({"width": 390, "height": 844})  # a phone
        page.goto(f"{server.url}/tasks")
        expect(page.locator(".navbar-toggler")).to_be_visible()
        shot(page, "9-tasks-phone")
    assert problems == [], problems  # no script error, no CSP violation
