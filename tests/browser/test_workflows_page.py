"""Extensions > Workflows in a real browser: the list with each workflow's counts by status,
a workflow's page with its tasks in order (status, parents, a task waiting for its parents,
the tasks its failed parent cancelled, the clean-up that ran), and a task's page naming its
workflow and parents; the links lead from one to the other."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from taskdesk import Taskdesk
from tests.apps import flows
from tests.browser.conftest import Server
from tests.browser.session import logged_in, shot


def add_workflows(home: Path) -> tuple[list[int], list[int]]:
    """One workflow run to its end (a failed parent, its cancelled dependents, a clean-up),
    and one left waiting."""
    with Taskdesk(home=home, database_url="", allowed_actions=("tests",)) as desk:
        ran = desk.workflow("nightly export")
        a = ran.add(flows.number, 1)
        b = ran.add(flows.fail, after=[a])
        c = ran.add(flows.number, 3, after=[a])
        d = ran.add(flows.number, 4, after=[b, c])
        e = ran.add(flows.clean_up, after=[d], run_on_failure=True)
        ran.enqueue()
        desk.runner().drain()
        waiting = desk.workflow("waiting diamond")
        w = waiting.add(flows.number, 1)
        x = waiting.add(flows.number, 2, after=[w])
        waiting.enqueue()
    return ([n.task_id or 0 for n in (a, b, c, d, e)], [w.task_id or 0, x.task_id or 0])


def test_the_workflows_pages_in_the_browser(server: Server) -> None:
    (a, b, c, d, e), (_, x) = add_workflows(server.home)
    with logged_in(server) as (page, _):

        page.goto(f"{server.url}/workflows")
        expect(page.locator("#workflows tbody tr")).to_have_count(2)
        first = page.locator("tr[data-workflow='1']")
        expect(first).to_contain_text("nightly export")
        expect(first).to_contain_text("cancelled 1")
        expect(first).to_contain_text("complete 3")
        expect(first).to_contain_text("failed 1")
        shot(page, "ui-workflows-list")

        first.locator("a").click()
        expect(page).to_have_url(f"{server.url}/workflows/1")
        rows = page.locator("#workflow-tasks tbody tr")
        expect(rows).to_have_count(5)
        expect(page.locator(f"tr[data-task='{b}'] .badge")).to_have_text("failed")
        expect(page.locator(f"tr[data-task='{d}'] .badge")).to_have_text("cancelled")
        expect(page.locator(f"tr[data-task='{d}'] td").nth(3)).to_have_text(f"{b}, {c}")
        expect(page.locator(f"tr[data-task='{e}'] .badge")).to_have_text("complete")
        expect(page.locator(f"tr[data-task='{e}'] td").nth(4)).to_have_text("yes")
        shot(page, "ui-workflow-failed")

        page.locator(f"tr[data-task='{d}'] td").nth(3).locator(f"a:has-text('{b}')").click()
        expect(page).to_have_url(f"{server.url}/tasks/{b}")
        expect(page.locator("#task-workflow")).to_contain_text("nightly export")

        page.goto(f"{server.url}/workflows/2")
        expect(page.locator(f"tr[data-task='{x}']")).to_contain_text("waits for 1 of its parents")
        page.locator(f"tr[data-task='{x}'] td").first.locator("a").click()
        expect(page.locator("#task-workflow")).to_contain_text("waits for its parents")
        expect(page.get_by_text("when its workflow parents have ended")).to_be_visible()
        shot(page, "ui-workflow-task-waiting")
        assert a > 0
