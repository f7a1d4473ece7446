"""Issue 16, item 0: what a dead host leaves behind is said, and hosts agree on the lease.

A processing task whose lease expired but that recovery could not take (a dead session still
locks it) is reported: the housekeeper's warning, the insights' count (dashboard) and the
/metrics gauge. A runner refuses to start beside a live runner whose lease differs, with one
error naming both values and the other runner's host."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from taskdesk.config import Settings
from taskdesk.errors import ConfigError
from taskdesk.insights import Insights
from taskdesk.models.runners import RunnerInfo
from taskdesk.models.tasks import NewTask, Status
from taskdesk.runner.housekeeper import Housekeeper
from taskdesk.runner.lease import register
from taskdesk.store import SqlStore, Store, open_store
from taskdesk.web.metrics import prometheus_text
from tests.cli.hostile_support import invoke, one_error_line
from tests.support import FakeClock

LEASE = 30.0


@pytest.fixture
def pg_store(postgres_url: str, database_url: str, clock: FakeClock) -> Iterator[SqlStore]:
    store = open_store(database_url, clock=clock, lease_seconds=LEASE)
    yield store
    store.close()


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """Every backend for the lease check; PostgreSQL for the locked task."""
    return str(getattr(request, "param", "postgres"))


def test_an_expired_task_locked_by_a_dead_session_is_reported_then_recovered(
    pg_store: SqlStore, clock: FakeClock, caplog: pytest.LogCaptureFixture,
) -> None:
    [task] = pg_store.add([NewTask(code="stuck", action="tests.support.handlers:record",
                                   max_attempts=3)], replace=False)
    pg_store.claim("dead-host", lease_seconds=LEASE)
    clock.advance(LEASE + 1)
    keeper = Housekeeper(pg_store, Settings(lease_seconds=LEASE))
    url = pg_store.engine.url.set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(url) as dead:  # a session that locked the row and went silent
        dead.execute("SELECT 1 FROM task WHERE task_id = %s FOR UPDATE", (task.task_id,))

        with caplog.at_level(logging.WARNING, logger="taskdesk.runner.housekeeper"):
            assert keeper.recover() == 0
        assert keeper.stuck == 1
        [line] = [r.getMessage() for r in caplog.records
                  if r.getMessage().startswith("task.lease_expired_locked")]
        assert line.startswith("task.lease_expired_locked count=1:")
        insights = Insights(pg_store)
        assert insights.lease_expired() == 1
        assert "\ntaskdesk_tasks_lease_expired 1\n" in prometheus_text(insights.metrics())
        dead.rollback()  # the server ended it (sessions.py): its locks go

    caplog.clear()
    assert keeper.recover() == 1
    assert keeper.stuck == 0
    after = pg_store.get(task.task_id)
    assert after is not None
    assert after.status is Status.PENDING
    assert not [r for r in caplog.records if "lease_expired_locked" in r.getMessage()]
    assert "\ntaskdesk_tasks_lease_expired 0\n" in prometheus_text(Insights(pg_store).metrics())


def live(store: Store, lease: float | None, runner_id: str = "other",
         hostname: str = "host-b") -> None:
    now = store.clock()
    store.register_runner(RunnerInfo(runner_id=runner_id, hostname=hostname, pid=9,
                                     started_at=now, last_seen_at=now, lease_seconds=lease))


@pytest.mark.parametrize("backend", ["memory", "sqlite", "postgres"], indirect=True)
def test_a_runner_refuses_to_start_beside_a_live_runner_with_another_lease(
    store: Store, clock: FakeClock,
) -> None:
    live(store, 2.0)

    with pytest.raises(ConfigError) as refused:
        register(store, "me", LEASE)

    assert str(refused.value) == (
        "TASKDESK_LEASE_SECONDS is 30 here, but runner other on host host-b runs with 2: "
        "every runner sharing a database must use the same lease; set the same value on "
        "every host")
    assert refused.value.exit_code == 2
    assert [r.runner_id for r in store.runners()] == ["other"]


@pytest.mark.parametrize("backend", ["memory", "sqlite", "postgres"], indirect=True)
def test_a_dead_runner_or_one_with_the_same_lease_does_not_stop_a_start(
    store: Store, clock: FakeClock,
) -> None:
    live(store, 2.0, "dead")
    clock.advance(3)  # unseen for more than its own lease
    live(store, LEASE, "same")
    live(store, None, "older")  # from before leases were recorded: not judged

    info = register(store, "me", LEASE)

    assert info.lease_seconds == LEASE
    assert {r.runner_id: r.lease_seconds for r in store.runners()}["me"] == LEASE


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_taskdesk_start_fails_with_one_line_naming_both_leases(
    database_url: str, tmp_path: Path,
) -> None:
    store = open_store(database_url)
    live(store, LEASE)
    store.close()

    run = invoke(["start", "--quiet"], env={"TASKDESK_DATABASE_URL": database_url,
                                            "TASKDESK_HOME": str(tmp_path / "home"),
                                            "TASKDESK_LEASE_SECONDS": "2"})

    line = one_error_line(run, code=2)
    assert "TASKDESK_LEASE_SECONDS is 2 here" in line
    assert "on host host-b runs with 30" in line


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_hostile_host_name_in_the_refusal_is_printed_literally(
    database_url: str, tmp_path: Path,
) -> None:
    """The other runner's host name comes from the database: markup, escape sequences and a
    newline in it are shown as text, on the one error line."""
    store = open_store(database_url)
    live(store, LEASE, hostname="[/x][bold]evil\x1b[31m\nsecond")
    store.close()

    run = invoke(["start", "--quiet"], env={"TASKDESK_DATABASE_URL": database_url,
                                            "TASKDESK_HOME": str(tmp_path / "home"),
                                            "TASKDESK_LEASE_SECONDS": "2"})

    line = one_error_line(run, code=2)
    assert "[/x][bold]evil" in line
    assert "\x1b" not in line
