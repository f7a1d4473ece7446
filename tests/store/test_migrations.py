"""The Alembic history builds exactly the schema that taskdesk.store.sql.schema describes, on
SQLite and on PostgreSQL, and can be undone, redone and re-run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Connection, Index, inspect, text
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from taskdesk.errors import SchemaOutOfDate
from taskdesk.models.tasks import NewTask, TaskFilter
from taskdesk.store import SqlStore, open_store
from taskdesk.store.sql.migrate import (
    MIGRATIONS,
    SCHEMA_HEAD,
    check_schema,
    current_revision,
    upgrade,
)
from taskdesk.store.sql.schema import metadata
from tests.support import require_postgres, temporary_database

TABLES = set(metadata.tables)


@pytest.fixture(params=["sqlite", "postgres"])
def empty_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    """A store over a brand-new database that has no schema at all."""
    if request.param == "sqlite":
        store = open_store(f"sqlite:///{tmp_path / 'migrations.db'}", create=True)
        yield store
        store.close()
        return
    require_postgres()
    with temporary_database() as url:
        store = open_store(url)
        try:
            yield store
        finally:
            store.close()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def downgrade(store: SqlStore, revision: str) -> None:
    """What `upgrade` does, the other way: Alembic on a connection of ours."""
    config = alembic_config()
    with store.db.writer.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def schema_diff(store: SqlStore) -> list[Any]:
    """Alembic's autogenerate comparison of the database against the metadata."""
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff: list[Any] = compare_metadata(context, metadata)
    return diff


def index_sort_orders(conn: Connection, index: str) -> list[tuple[str, bool]]:
    """SQLite's own account of an index: (column, descending) for each key column."""
    rows = conn.exec_driver_sql(f"PRAGMA index_xinfo({index})").mappings()
    return [(row["name"], bool(row["desc"])) for row in rows if row["key"]]


def expected_sort_orders(index: Index) -> list[tuple[str, bool]]:
    """(column, descending) for each expression of an index of the metadata."""
    orders: list[tuple[str, bool]] = []
    for expression in index.expressions:
        if isinstance(expression, UnaryExpression):
            assert isinstance(expression.element, Column)
            orders.append((expression.element.name, expression.modifier is operators.desc_op))
        else:
            assert isinstance(expression, Column)
            orders.append((expression.name, False))
    return orders


def add_a_task(store: SqlStore) -> None:
    store.add([NewTask(code="kept", action="pkg.mod:fn", max_attempts=3)])


def add_a_task_by_hand(store: SqlStore) -> None:
    """A pending task in the columns of revision 0001, which every revision has (the store's
    own insert names the columns of the newest schema)."""
    with store.db.writer.begin() as conn:
        conn.execute(text(
            "INSERT INTO task (code, action, args, status, priority, attempts, max_attempts, "
            "run_at, date_added, date_modified) VALUES ('kept', 'pkg.mod:fn', '{}', 'pending', "
            "0, 0, 3, '2000-01-01 00:00:00', '2000-01-01 00:00:00', '2000-01-01 00:00:00')"
        ))


def test_upgrade_builds_the_schema_of_the_metadata(empty_store: SqlStore) -> None:
    upgrade(empty_store)

    # No filtering: on PostgreSQL, Alembic reflects expression indexes too, so the
    # `priority DESC` key of ix_task_claim is compared (a migration that dropped DESC shows up
    # as remove_index + add_index). On SQLite, Alembic sees only the columns of an index, not
    # their sort order; test_sqlite_indexes_keep_their_sort_order checks that part.
    assert schema_diff(empty_store) == []
    assert set(inspect(empty_store.engine).get_table_names()) >= TABLES


def test_sqlite_indexes_keep_their_sort_order(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'sort.db'}", create=True)
    try:
        upgrade(store)
        with store.engine.connect() as conn:
            for table in metadata.tables.values():
                for index in table.indexes:
                    assert index.name is not None
                    found = index_sort_orders(conn, index.name)
                    assert found == expected_sort_orders(index), index.name
            assert ("priority", True) in index_sort_orders(conn, "ix_task_claim")
    finally:
        store.close()


def test_sqlite_tables_autoincrement_as_the_metadata_says(tmp_path: Path) -> None:
    # Alembic's comparison does not look at SQLite's AUTOINCREMENT (ids never reused).
    store = open_store(f"sqlite:///{tmp_path / 'autoincrement.db'}", create=True)
    try:
        upgrade(store)
        with store.engine.connect() as conn:
            for table in metadata.tables.values():
                ddl = conn.execute(
                    text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"),
                    {"name": table.name},
                ).scalar_one()
                wanted = bool(table.dialect_options["sqlite"]["autoincrement"])
                assert ("AUTOINCREMENT" in ddl.upper()) is wanted, table.name
    finally:
        store.close()


def revisions() -> list[str]:
    """Every revision of the history, oldest first."""
    scripts = ScriptDirectory.from_config(alembic_config())
    return [script.revision for script in reversed(list(scripts.walk_revisions()))]


def test_schema_head_is_the_newest_migration() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())

    assert scripts.get_heads() == [SCHEMA_HEAD]
    assert scripts.get_current_head() == SCHEMA_HEAD


def test_upgrade_records_the_head_revision(empty_store: SqlStore) -> None:
    assert current_revision(empty_store) is None

    upgrade(empty_store)

    assert current_revision(empty_store) == SCHEMA_HEAD


def test_check_schema_refuses_an_empty_database_and_passes_after_upgrade(
    empty_store: SqlStore,
) -> None:
    with pytest.raises(SchemaOutOfDate, match="taskdesk init"):
        check_schema(empty_store)

    upgrade(empty_store)

    check_schema(empty_store)


def test_verbs_on_an_unmigrated_database_raise_schema_out_of_date(
    empty_store: SqlStore,
) -> None:
    with pytest.raises(SchemaOutOfDate, match="taskdesk init"):
        empty_store.count(TaskFilter())


def test_downgrade_to_base_then_upgrade_again(empty_store: SqlStore) -> None:
    upgrade(empty_store)

    downgrade(empty_store, "base")

    assert current_revision(empty_store) is None
    assert not TABLES & set(inspect(empty_store.engine).get_table_names())
    with pytest.raises(SchemaOutOfDate):
        check_schema(empty_store)

    upgrade(empty_store)

    assert current_revision(empty_store) == SCHEMA_HEAD
    assert schema_diff(empty_store) == []
    check_schema(empty_store)
    add_a_task(empty_store)
    assert empty_store.count(TaskFilter()) == 1


def test_upgrade_is_idempotent_and_keeps_data(empty_store: SqlStore) -> None:
    upgrade(empty_store)
    add_a_task(empty_store)

    upgrade(empty_store)
    upgrade(empty_store, SCHEMA_HEAD)

    assert current_revision(empty_store) == SCHEMA_HEAD
    assert schema_diff(empty_store) == []
    assert [t.code for t in empty_store.list_tasks(TaskFilter())] == ["kept"]
    with empty_store.engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
        assert list(versions) == [SCHEMA_HEAD]


def test_upgrade_from_every_older_revision_reaches_the_schema(empty_store: SqlStore) -> None:
    for revision in revisions():
        upgrade(empty_store, revision)
        assert current_revision(empty_store) == revision
        if revision != SCHEMA_HEAD:
            with pytest.raises(SchemaOutOfDate, match=f"schema revision {revision}"):
                check_schema(empty_store)
        add_a_task_by_hand(empty_store)

        upgrade(empty_store)

        assert schema_diff(empty_store) == [], f"upgrading from {revision}"
        assert empty_store.count(TaskFilter()) == 1  # the data survives the upgrade
        [claimed] = empty_store.claim("w1", lease_seconds=30)  # and is due as it was
        assert claimed.code == "kept"
        downgrade(empty_store, "base")


def test_downgrade_one_revision_at_a_time(empty_store: SqlStore) -> None:
    upgrade(empty_store)
    history = revisions()

    for older in reversed([None, *history[:-1]]):
        downgrade(empty_store, "-1")
        assert current_revision(empty_store) == older

    assert not TABLES & set(inspect(empty_store.engine).get_table_names())
