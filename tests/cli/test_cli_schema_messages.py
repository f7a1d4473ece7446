"""Issue 7, item 13 (CLI part): a database a newer taskdesk made used to say "run `taskdesk
init`", and init then crashed; a foreign table named `task` made init say "relation already
exists: run taskdesk init". Both now say what is true and what to do, and change nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, inspect, text

from tests.cli.hostile_support import Run, invoke, one_error_line
from tests.support import require_postgres, temporary_database

pytestmark = pytest.mark.hostile


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[str]:
    """An empty database, on SQLite or on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'x.db'}"
        return
    require_postgres()
    with temporary_database() as url:
        yield url


def execute(url: str, *statements: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def tables(url: str) -> set[str]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
    engine.dispose()
    return names


def taskdesk(url: str, *args: str) -> Run:
    return invoke(["--home", "/nonexistent-unused", "--database-url", url, *args])


@pytest.mark.parametrize("command", [("init",), ("task", "list")])
def test_a_newer_schema_says_upgrade_taskdesk(empty_url: str, command: tuple[str, ...]) -> None:
    execute(empty_url, "CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)",
            "INSERT INTO alembic_version VALUES ('0099')")
    line = one_error_line(taskdesk(empty_url, *command), 4)
    assert "made by a newer taskdesk; upgrade taskdesk" in line
    assert "taskdesk init" not in line
    assert tables(empty_url) == {"alembic_version"}


@pytest.mark.parametrize("command", [("init",), ("task", "list")])
def test_a_foreign_task_table_says_taskdesk_did_not_make_it(empty_url: str,
                                                             command: tuple[str, ...]) -> None:
    execute(empty_url, "CREATE TABLE task (id INTEGER PRIMARY KEY, title TEXT)")
    line = one_error_line(taskdesk(empty_url, *command), 4)
    assert "already has tables taskdesk did not make (task)" in line
    assert "taskdesk init" not in line
    assert "relation" not in line
    assert tables(empty_url) == {"task"}


def test_other_tables_of_an_application_do_not_stop_init(empty_url: str) -> None:
    """An application may share its database: only our own names are in the way."""
    execute(empty_url, "CREATE TABLE orders (id INTEGER PRIMARY KEY)")
    assert taskdesk(empty_url, "init").code == 0
    assert {"orders", "task", "alembic_version"} <= tables(empty_url)
