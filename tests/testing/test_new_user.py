"""The new user's three failures (issue 18), as tests that pass: under the plugin's
`taskdesk_desk`, a task enqueued in the SQLAlchemy application's transaction, a task with a
timeout run by run_due, and a script waiting for its task while a worker runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session

from taskdesk import Status, Taskdesk
from taskdesk.testing import assert_enqueued, enqueued, run_due
from tests.runner.processes import REPO, end
from tests.testing import shop
from tests.testing.shop import Order, place_order, render_invoice, send_receipt


@pytest.fixture
def engine(taskdesk_desk: Taskdesk) -> Iterator[Engine]:
    """The application's engine on the database the fixture gave taskdesk."""
    made = create_engine(taskdesk_desk.settings.database_url)
    shop.Base.metadata.create_all(made)
    yield made
    made.dispose()


def test_an_enqueue_in_the_applications_transaction_commits_with_it(
        taskdesk_desk: Taskdesk, engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        order_id = place_order(session, "ann@example.com").id

    assert_enqueued(send_receipt, order_id=order_id)
    assert run_due(taskdesk_desk).by_status == {Status.COMPLETE: 1}
    [done] = taskdesk_desk.tasks.list_tasks(action="shop.receipt")
    assert done.response == f"receipt for order {order_id}"


def test_a_rolled_back_transaction_leaves_no_task(engine: Engine) -> None:
    with Session(engine) as session:
        session.begin()
        place_order(session, "bob@example.com")
        session.rollback()
        assert session.scalar(select(func.count()).select_from(Order)) == 0

    assert enqueued(send_receipt) == []


def test_a_task_with_a_timeout_runs_in_a_child_on_the_same_database(
        taskdesk_desk: Taskdesk) -> None:
    handle = render_invoice.enqueue(order_id=7)

    assert run_due(taskdesk_desk).by_status == {Status.COMPLETE: 1}
    handle.refresh()
    assert handle.status is Status.COMPLETE
    by, _, seen = str(handle.response).removeprefix("invoice 7 by ").partition(", ")
    assert int(by) != os.getpid()  # its own process, which read this database:
    assert seen == "invoices: 1"


def test_a_script_waits_for_its_task_while_a_runner_runs_it(taskdesk_desk: Taskdesk) -> None:
    handle = send_receipt.enqueue(order_id=3)
    stop = threading.Event()
    runner = threading.Thread(target=taskdesk_desk.runner().run, args=(stop,))
    runner.start()
    try:
        assert handle.wait(timeout=60) is handle
    finally:
        stop.set()
        runner.join()

    assert handle.status is Status.COMPLETE
    assert handle.response == "receipt for order 3"


@pytest.mark.slow
def test_a_script_waits_for_its_task_while_a_taskdesk_worker_runs_it(
        taskdesk_desk: Taskdesk) -> None:
    """As the user runs it: `taskdesk worker` in its own process, on the same file."""
    handle = shop.refuse.enqueue(order_id=5)
    settings = taskdesk_desk.settings
    worker = _spawn_worker(database_url=settings.database_url, home=str(settings.home))
    try:
        handle.wait(timeout=60)
    finally:
        end(worker)

    assert handle.status is Status.FAILED
    assert handle.error_class == "ValueError"
    assert "order 5 is refused" in str(handle.response)


def _spawn_worker(*, database_url: str, home: str) -> subprocess.Popen[str]:
    env = {**os.environ, "TASKDESK_DATABASE_URL": database_url, "TASKDESK_HOME": home}
    return subprocess.Popen([sys.executable, "-m", "taskdesk", "worker", "--app",
                             "tests.testing.shop:desk"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
