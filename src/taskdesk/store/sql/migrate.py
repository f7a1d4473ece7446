"""Create and upgrade the schema with Alembic: one history for SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from taskdesk.errors import SchemaOutOfDate
from taskdesk.store.sql.errors import describe, translate_errors
from taskdesk.store.sql.store import SqlStore

MIGRATIONS = Path(__file__).with_name("migrations")
#: The newest revision; a test checks it against the migration files.
SCHEMA_HEAD = "0024"


def upgrade(store: SqlStore, revision: str = "head") -> None:
    """Apply every migration the database lacks, in one transaction; concurrent upgrades
    take turns."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with translate_errors(store.db.url), store.db.writer.begin() as conn:
        store.db.lock_migrations(conn)  # before Alembic looks at what the database has
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def current_revision(store: SqlStore) -> str | None:
    with translate_errors(store.engine.url), store.engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def check_schema(store: SqlStore) -> None:
    """Refuse to work on a database that `taskdesk init` has not brought up to date."""
    revision = current_revision(store)
    if revision != SCHEMA_HEAD:
        found = "no taskdesk schema" if revision is None else f"schema revision {revision}"
        raise SchemaOutOfDate(
            f"the database {describe(store.engine.url)} has {found}, this taskdesk needs "
            f"{SCHEMA_HEAD}: run `taskdesk init`"
        )
