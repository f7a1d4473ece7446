"""Issue 7, item 20: time and isolation pinned. On PostgreSQL the store's default clock is the
server's, and a runner whose machine disagrees with it by more than a third of a lease says so;
both engines run at READ COMMITTED whatever the server's default. On SQLite an add() commits
with synchronous=FULL, and an SQLite older than 3.35 is refused in one line."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from taskdesk.config import Settings
from taskdesk.errors import ConfigError
from taskdesk.extensions.loader import ControllerLoader
from taskdesk.models.tasks import NewTask
from taskdesk.resolve import Resolver
from taskdesk.runner import Runner
from taskdesk.store import SqlStore, open_store
from taskdesk.store.sql.migrate import upgrade
from taskdesk.store.sql.postgres import measure_offset
from taskdesk.store.sql.sqlite import CHECKPOINT_PAGES, RUNNER_CHECKPOINT_PAGES
from tests.support import require_postgres, temporary_database

pytestmark = pytest.mark.hostile

HOUR = timedelta(hours=1)


@pytest.fixture
def pg_url() -> Iterator[str]:
    require_postgres()
    with temporary_database() as url:
        store = open_store(url)
        upgrade(store)
        store.close()
        yield url


def server_now(store: SqlStore) -> datetime:
    with store.engine.connect() as conn:
        moment: datetime = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
    return moment


def an_hour_behind() -> datetime:
    return datetime.now(UTC) - HOUR


@pytest.mark.postgres
def test_postgres_leases_follow_the_servers_clock_not_this_machines(
    pg_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("taskdesk.store.sql.postgres.utcnow", an_hour_behind)
    store = open_store(pg_url)
    try:
        assert abs(store.clock() - server_now(store)) < timedelta(seconds=5)
        assert abs(store.clock_offset() - HOUR.total_seconds()) < 5
        store.add([NewTask(code="job", action="pkg.mod:fn", max_attempts=3)])
        [claimed] = store.claim("w1", lease_seconds=30)
        assert claimed.lease_expires_at is not None
        lease_left = claimed.lease_expires_at - server_now(store)
        assert timedelta(seconds=25) < lease_left <= timedelta(seconds=30)
    finally:
        store.close()


@pytest.mark.postgres
def test_a_runner_whose_clock_is_off_by_more_than_a_third_of_the_lease_warns(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr("taskdesk.store.sql.postgres.utcnow", an_hour_behind)
    store = open_store(pg_url)
    runner = Runner(store, Settings(home=tmp_path, lease_seconds=30),
                    resolver=Resolver(ControllerLoader(lambda code: None)))
    try:
        with caplog.at_level(logging.WARNING, logger="taskdesk.runner.runner"):
            runner.drain()
    finally:
        store.close()
    [warning] = [r.getMessage() for r in caplog.records if "clock_skew" in r.getMessage()]
    assert "behind" in warning


def transaction_isolation(engine: Engine) -> str:
    with engine.connect() as conn:
        level: str = conn.execute(text("SHOW transaction_isolation")).scalar_one()
    return level


class _DelayedOnce:
    """This machine's clock, read around the server's: the reading at `late` (0: the first
    before, 1: the first after) is `delay` off, as a thread descheduled there would see."""

    def __init__(self, late: int, delay: timedelta) -> None:
        self.readings = 0
        self.late = late
        self.delay = delay

    def __call__(self) -> datetime:
        reading, self.readings = self.readings, self.readings + 1
        now = datetime.now(UTC)
        return now + self.delay if reading == self.late == 1 else (
            now - self.delay if reading == self.late == 0 else now)


@pytest.mark.postgres
@pytest.mark.parametrize("late", [0, 1], ids=["before", "after"])
def test_one_slow_round_trip_does_not_skew_the_measured_offset(pg_url: str, late: int) -> None:
    """The server is this machine (offset about 0); one sample stretched by 0.4 s would say
    ±0.2 s, and two runners off by that much do not see each other's new tasks due."""
    engine = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        offset = measure_offset(engine, _DelayedOnce(late, timedelta(seconds=0.4)))
    finally:
        engine.dispose()
    assert abs(offset) < 0.1


@pytest.mark.postgres
def test_postgres_engines_run_at_read_committed_whatever_the_servers_default(
    pg_url: str,
) -> None:
    name = pg_url.rsplit("/", 1)[1]
    admin = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" '
                          "SET default_transaction_isolation = 'serializable'"))
    admin.dispose()
    store = open_store(pg_url)
    try:
        assert transaction_isolation(store.engine) == "read committed"
        assert transaction_isolation(store.db.runner_writer) == "read committed"
    finally:
        store.close()


def test_sqlite_registry_writes_wait_for_the_disk_and_runner_writes_need_not(
    tmp_path: Path,
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'sync.db'}", create=True)
    try:
        with store.atomic() as bound:  # the connection add(), delete() and the rest use
            assert isinstance(bound, SqlStore)
            assert bound.db.bound is not None
            assert bound.db.bound.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        with store.db.runner_writer.begin() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    finally:
        store.close()


def test_sqlite_runner_commits_checkpoint_rarely_and_registry_writes_as_sqlite_does(
    tmp_path: Path,
) -> None:
    """A checkpoint (two fsyncs) every ~70 runner commits cost a fifth of each task."""
    store = open_store(f"sqlite:///{tmp_path / 'wal.db'}", create=True)
    try:
        for _ in range(2):  # one pooled connection, switched each way and back
            with store.db.runner_writer.begin() as conn:
                pages = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
                assert pages == RUNNER_CHECKPOINT_PAGES
            with store.atomic() as bound:
                assert isinstance(bound, SqlStore)
                assert bound.db.bound is not None
                pages = bound.db.bound.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
                assert pages == CHECKPOINT_PAGES == 1_000
    finally:
        store.close()


def test_an_sqlite_older_than_3_35_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 31, 1))

    with pytest.raises(ConfigError) as raised:
        open_store(f"sqlite:///{tmp_path / 'old.db'}", create=True)

    assert "SQLite 3.31.1 is too old" in raised.value.message
    assert "3.35.0 or newer" in raised.value.message
    assert "\n" not in raised.value.message
    assert not (tmp_path / "old.db").exists()
