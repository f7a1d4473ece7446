"""Enqueue inside the application's own transaction (issue: the lost-or-phantom task): a
rollback leaves no task, a commit leaves one that a runner runs — on SQLite and PostgreSQL,
through a SQLAlchemy Connection, a Session, and (PostgreSQL) a plain psycopg connection."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from taskdesk import Status, TaskDefinition, Taskdesk
from taskdesk.errors import BadInput
from taskdesk.testing import memory_desk
from tests.support.handlers import record


class Rollback(Exception):
    """The application's own failure after it enqueued."""


@pytest.fixture
def backend(real_backend: str) -> str:
    """Overrides the root fixture: the application opens its own connection."""
    return real_backend


@pytest.fixture
def desk(database_url: str, tmp_path: Path) -> Iterator[Taskdesk]:
    desk = Taskdesk(database_url=database_url, home=tmp_path / "home")
    yield desk
    desk.close()


@pytest.fixture
def app_engine(database_url: str) -> Iterator[Engine]:
    """The application's own engine, as it would make one: not taskdesk's."""
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    yield engine
    engine.dispose()


def _sqlalchemy_connection(engine: Engine) -> AbstractContextManager[Any]:
    return engine.begin()


@contextmanager
def _session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session, session.begin():
        yield session


def _enqueue_then_fail(definition: TaskDefinition[..., Any], begin: AbstractContextManager[Any],
                       **args: object) -> None:
    with begin as conn:
        definition.using(connection=conn).enqueue(**args)
        raise Rollback


@pytest.mark.parametrize("begin", [_sqlalchemy_connection, _session])
def test_a_rolled_back_enqueue_leaves_no_task_and_a_committed_one_runs(
    desk: Taskdesk, app_engine: Engine, tmp_path: Path,
    begin: Callable[[Engine], AbstractContextManager[Any]],
) -> None:
    out = tmp_path / "ran.txt"

    @desk.task(name="tx.record")
    def record_it(path: str, n: int) -> None:
        record(path, n)

    with pytest.raises(Rollback):
        _enqueue_then_fail(record_it, begin(app_engine), path=str(out), n=1)
    assert desk.tasks.count() == 0

    with begin(app_engine) as conn:
        added = record_it.using(connection=conn).enqueue(path=str(out), n=2)
        assert added.status is Status.PENDING
    assert [t.task_id for t in desk.tasks.list_tasks()] == [added.task_id]

    stats = desk.runner().drain()

    assert stats.by_status == {Status.COMPLETE: 1}
    assert out.read_text() == "2\n"


@pytest.mark.postgres
def test_a_plain_psycopg_connection_works_the_same(postgres_url: str, tmp_path: Path) -> None:
    with Taskdesk(database_url=postgres_url, home=tmp_path) as desk:
        desk.tasks.clear()

        @desk.task(name="tx.noop")
        def noop(n: int) -> None: ...

        with psycopg.connect(postgres_url) as conn:  # Django's connection is one of these
            noop.using(connection=conn).enqueue(n=1)
            noop.using(connection=conn, code="same").enqueue(n=2)
            noop.using(connection=conn, code="same").enqueue(n=3)  # replaces n=2
            assert desk.tasks.count() == 0  # not committed yet: runners cannot see it
            conn.rollback()
        assert desk.tasks.count() == 0

        with psycopg.connect(postgres_url) as conn:
            assert desk.tasks.add_many([], connection=conn) == []
            added = noop.using(connection=conn, code="same").enqueue(n=4)
            conn.execute("SELECT 1")  # the application goes on in its transaction
        [stored] = desk.tasks.list_tasks()
        assert stored == added
        assert (stored.code, stored.args, stored.run_at.tzinfo is not None) == (
            "same", {"n": 4}, True)
        assert desk.runner().drain().by_status == {Status.COMPLETE: 1}


def test_a_connection_to_another_database_is_refused(desk: Taskdesk, tmp_path: Path) -> None:
    @desk.task(name="tx.elsewhere")
    def elsewhere() -> None: ...

    other = create_engine(f"sqlite:///{tmp_path / 'other.db'}")
    with other.begin() as conn, pytest.raises(BadInput, match="the connection is to the"):
        elsewhere.using(connection=conn).enqueue()
    other.dispose()
    assert desk.tasks.count() == 0


def test_a_memory_desk_or_an_unknown_connection_is_refused(tmp_path: Path) -> None:
    desk = memory_desk(home=tmp_path)

    @desk.task(name="tx.memory")
    def in_memory() -> None: ...

    with pytest.raises(BadInput, match="in memory"):
        in_memory.using(connection=object()).enqueue()


@pytest.mark.postgres
def test_an_autocommit_connection_is_refused(postgres_url: str, tmp_path: Path) -> None:
    """Outside a transaction, replacing by code would commit its delete and its insert apart."""
    with Taskdesk(database_url=postgres_url, home=tmp_path) as desk:
        desk.tasks.clear()

        @desk.task(name="tx.auto")
        def auto() -> None: ...

        with psycopg.connect(postgres_url, autocommit=True) as conn, \
                pytest.raises(BadInput, match="autocommit"):
            auto.using(connection=conn).enqueue()
        engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1),
                               isolation_level="AUTOCOMMIT")
        with engine.connect() as sa_conn, pytest.raises(BadInput, match="autocommit"):
            auto.using(connection=sa_conn).enqueue()
        engine.dispose()
        assert desk.tasks.count() == 0


@pytest.mark.postgres
@pytest.mark.parametrize("level", ["REPEATABLE READ", "SERIALIZABLE"])
def test_replacing_by_code_above_read_committed_is_refused(postgres_url: str, tmp_path: Path,
                                                           level: str) -> None:
    """Issue 14 #6: at REPEATABLE READ the replace's DELETE reads an old snapshot, so two
    concurrent adds of one code could both leave a waiting task. Refused, writing nothing;
    an add that replaces nothing (replace=False) is still allowed."""
    with Taskdesk(database_url=postgres_url, home=tmp_path) as desk:
        desk.tasks.clear()

        @desk.task(name="tx.same")
        def same() -> None: ...

        url = postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)
        engine = create_engine(url, isolation_level=level)
        with engine.begin() as sa_conn, pytest.raises(BadInput, match="READ COMMITTED"):
            desk.tasks.add("same", "tx.same", connection=sa_conn)
        with psycopg.connect(postgres_url) as conn:
            conn.execute(f"SET TRANSACTION ISOLATION LEVEL {level}")
            with pytest.raises(BadInput, match="READ COMMITTED"):
                desk.tasks.add("same", "tx.same", connection=conn)
            conn.rollback()
        assert desk.tasks.count() == 0
        with engine.begin() as sa_conn:
            desk.tasks.add("same", "tx.same", replace=False, connection=sa_conn)
        engine.dispose()
        assert desk.tasks.count() == 1


def test_replacing_by_code_at_read_committed_or_on_sqlite_is_allowed(
        desk: Taskdesk, app_engine: Engine) -> None:
    """The default isolation of both databases replaces as before."""

    @desk.task(name="tx.same")
    def same(n: int) -> None: ...

    for n in range(2):
        with app_engine.begin() as conn:
            desk.tasks.add("same", "tx.same", {"n": n}, connection=conn)
    [kept] = desk.tasks.list_tasks()
    assert kept.args == {"n": 1}
