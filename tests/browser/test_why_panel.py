"""A task's page in a real browser: the "Why isn't it running?" panel says its queue is
paused and how to resume it; once resumed (the Queues page's button) it says no live runner
serves the queue, with the command that starts one."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import Server
from tests.browser.session import logged_in, shot
from tests.browser.test_queues_page import add_task


def test_the_task_page_says_why_it_waits(server: Server) -> None:
    with logged_in(server) as (page, _):
        add_task(page, server.url, "job-1")
        [task] = page.request.get(f"{server.url}/api/tasks").json()["tasks"]
        page.goto(f"{server.url}/queues")
        page.locator("tr[data-queue=default] button:has-text('Pause')").click()
        expect(page.locator("tr[data-queue=default] .badge")).to_have_text("paused")

        page.goto(f"{server.url}/tasks/{task['task_id']}")
        panel = page.locator("#why")
        expect(panel).to_have_attribute("data-reason", "paused_queue")
        expect(panel.locator("h2")).to_have_text("Why isn't it running?")
        expect(panel).to_contain_text("its queue default is paused (since ")
        expect(panel.locator("code")).to_have_text("taskdesk queue resume default")
        shot(page, "ui-task-why-paused")

        page.goto(f"{server.url}/queues")
        page.locator("tr[data-queue=default] button:has-text('Resume')").click()
        expect(page.locator("tr[data-queue=default] .badge")).to_have_count(0)
        page.goto(f"{server.url}/tasks/{task['task_id']}")
        expect(panel).to_have_attribute("data-reason", "no_runner")
        expect(panel).to_contain_text("no live runner serves its queue default")
        expect(panel.locator("code")).to_contain_text("taskdesk worker")
        shot(page, "ui-task-why-no-runner")
