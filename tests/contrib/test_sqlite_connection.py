"""Enqueue through a stdlib sqlite3 connection (what Django holds on SQLite), inside its
transaction: a rollback leaves no task, a commit one that a runner runs; another file, or a
connection outside a transaction, is refused and adds nothing."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from taskdesk import Status, Taskdesk
from taskdesk.errors import BadInput


class Rollback(Exception):
    """The application's own failure after it enqueued."""


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def desk(database_url: str, tmp_path: Path) -> Iterator[Taskdesk]:
    desk = Taskdesk(database_url=database_url, home=tmp_path / "home")
    yield desk
    desk.close()


@pytest.fixture
def app_connection(database_url: str) -> Iterator[sqlite3.Connection]:
    """The application's own connection, in autocommit as Django keeps it outside atomic()."""
    connection = sqlite3.connect(database_url.removeprefix("sqlite:///"),
                                 isolation_level=None, check_same_thread=False)
    yield connection
    connection.close()


def test_rollback_leaves_no_task_and_commit_one_that_runs(
        desk: Taskdesk, app_connection: sqlite3.Connection) -> None:
    @desk.task(name="sqlite3.double")
    def double(n: int) -> int:
        return n * 2

    app_connection.execute("BEGIN")
    double.using(connection=app_connection).enqueue(n=1)
    app_connection.execute("ROLLBACK")
    assert desk.tasks.count() == 0

    app_connection.execute("BEGIN")
    added = double.using(connection=app_connection).enqueue(n=21)
    assert desk.tasks.count() == 0  # not committed yet: taskdesk's connection cannot see it
    app_connection.execute("COMMIT")
    desk.runner().drain(threading.Event())
    done = desk.tasks.get(added.task_id)
    assert (done.status, done.response) == (Status.COMPLETE, "42")


def test_outside_a_transaction_is_refused(desk: Taskdesk,
                                          app_connection: sqlite3.Connection) -> None:
    @desk.task(name="sqlite3.noop")
    def noop() -> None: ...

    with pytest.raises(BadInput, match="autocommit"):
        noop.using(connection=app_connection).enqueue()
    assert desk.tasks.count() == 0


def test_another_file_is_refused(desk: Taskdesk, tmp_path: Path) -> None:
    @desk.task(name="sqlite3.other")
    def other() -> None: ...

    stranger = sqlite3.connect(tmp_path / "other.db", isolation_level=None)
    try:
        stranger.execute("BEGIN")
        with pytest.raises(BadInput, match=r"other\.db"):
            other.using(connection=stranger).enqueue()
        stranger.execute("ROLLBACK")
    finally:
        stranger.close()
    assert desk.tasks.count() == 0
