"""The admin mounted inside a FastAPI app, in a real browser: the FastAPI + SQLAlchemy recipe
(docs/recipes/fastapi_sqlalchemy) served by uvicorn as its README says, a staff member logged
in on the shop's own login page and let into taskdesk's admin at /tasks by the authenticate
hook; an order placed through the shop; then Tasks, the task's page, Run Tasks (its receipt is
sent), Retry, and the audit naming the shop's user."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ROOT, require_browser, stop
from tests.browser.session import chromium_page, shot
from tests.web.served import free_port, wait_until_healthy

RECIPE = ROOT / "docs" / "recipes" / "fastapi_sqlalchemy"
STAFF, PASSWORD = "alice", "alice-browser-password"


@dataclass(frozen=True)
class Shop:
    url: str
    env: dict[str, str]


def shop_command(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "fastapi_shop", *args], env=env, cwd=RECIPE,
                   check=True, capture_output=True, timeout=120)


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    """`python -m fastapi_shop init`, a staff user, then `uvicorn fastapi_shop.app:app` on a
    free loopback port, ended by its pid."""
    require_browser()
    env = {**{key: value for key, value in os.environ.items()
              if not key.startswith("TASKDESK_")},
           "SHOP_DATABASE_URL": f"sqlite:///{tmp_path / 'shop.db'}",
           "SHOP_SECRET_KEY": "browser-test-secret", "TASKDESK_HOME": str(tmp_path / "home")}
    shop_command(env, "init")
    shop_command(env, "add-user", STAFF, PASSWORD, "admin")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "fastapi_shop.app:app", "--host", "127.0.0.1",
         "--port", str(port)], env=env, cwd=RECIPE,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(f"{url}/tasks", process)
        yield Shop(url, env)
    finally:
        stop(process)


def place_order(url: str) -> dict[str, int]:
    request = urllib.request.Request(
        f"{url}/orders", data=json.dumps({"product": "widget", "quantity": 2}).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        placed: dict[str, int] = json.load(response)
    return placed


def receipt_sent(page: Page, url: str, order_id: int) -> bool:
    return bool(page.request.get(f"{url}/orders/{order_id}").json()["receipt_sent"])


def test_the_admin_inside_a_fastapi_app_in_the_browser(shop: Shop) -> None:
    placed = place_order(shop.url)
    task_id = placed["task_id"]
    with chromium_page() as (page, confirms):
        page.goto(f"{shop.url}/login")
        page.fill("#name", STAFF)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{shop.url}/tasks/")
        expect(page.locator(".navbar-text")).to_have_text(f"{STAFF} · admin")
        shot(page, "mounted-dashboard")

        page.click("a.dropdown-toggle:has-text('Extensions')")
        page.click("a.dropdown-item:has-text('Tasks')")
        expect(page).to_have_url(f"{shop.url}/tasks/tasks")
        row = page.locator(f"tr[data-task-id='{task_id}']")
        expect(row).to_have_attribute("data-status", "pending")
        shot(page, "mounted-tasks")

        page.click("#run-tasks")
        expect(row).to_have_attribute("data-status", "complete")
        assert receipt_sent(page, shop.url, placed["order_id"])

        row.locator(f"a[href='/tasks/tasks/{task_id}']").click()
        expect(page).to_have_url(f"{shop.url}/tasks/tasks/{task_id}")
        expect(page.locator("main")).to_contain_text(f"receipt for order {placed['order_id']} sent")
        page.click("button:has-text('Retry')")
        expect(page.locator("#toasts")).to_contain_text("the task will run again")
        page.reload()
        expect(page.locator("main .badge").first).to_have_text("pending")
        shot(page, "mounted-task-retried")

        page.goto(f"{shop.url}/tasks/audit")
        expect(page.locator("main")).to_contain_text("tasks.retry")
        expect(page.locator("tbody tr").first).to_contain_text(STAFF)
        shot(page, "mounted-audit")
        assert confirms == []
