"""What `taskdesk init` and opening a database check first, so that a data folder that cannot
be made, a database a newer taskdesk made, or one that holds someone else's tables fails with
one message that says what to do, instead of a traceback or an advice to run `init` again."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import inspect

from taskdesk.errors import ConfigError, ForeignDatabase, SchemaOutOfDate, SchemaTooNew
from taskdesk.store import SqlStore, sql
from taskdesk.store.sql import (
    MIGRATIONS,
    SCHEMA_HEAD,
    current_revision,
    describe,
    metadata,
    translate_errors,
)
from taskdesk.text import os_error_text


def make_folders(folders: Iterable[Path], *, home: Path) -> None:
    """Create the data folders, or say which one cannot be made and why."""
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)  # args, responses, logs
        except OSError as error:
            raise ConfigError(_folder_problem(folder, home, error)) from None


def _folder_problem(folder: Path, home: Path, error: OSError) -> str:
    return (f"cannot create the data folder {folder} (TASKDESK_HOME is {home}): "
            f"{os_error_text(error)}")


def check_schema(store: SqlStore) -> None:
    """Our schema at the newest revision, or the error that says what to do: `init`, upgrade
    taskdesk, or another database (the last two looked for only when the schema is off)."""
    try:
        sql.check_schema(store)
    except SchemaOutOfDate:
        refuse_strangers(store)
        raise


def refuse_strangers(store: SqlStore) -> None:
    """Raise SchemaTooNew or ForeignDatabase when the database is not one this taskdesk can
    create, upgrade or use; return when it is empty or holds our schema at a known revision."""
    revision = current_revision(store)
    if revision == SCHEMA_HEAD:
        return
    where = describe(store.engine.url)
    if revision is None:
        taken = _our_names_taken(store)
        if taken:
            raise ForeignDatabase(
                f"the database {where} already has tables taskdesk did not make "
                f"({', '.join(taken)}): give taskdesk its own database (TASKDESK_DATABASE_URL)")
        return
    if revision in known_revisions():
        return
    if _is_newer(revision):
        raise SchemaTooNew(
            f"the database {where} has schema revision {revision}, newer than this taskdesk's "
            f"{SCHEMA_HEAD}: it was made by a newer taskdesk; upgrade taskdesk to use it")
    raise ForeignDatabase(
        f"the database {where} is at Alembic revision {revision!r}, which is not taskdesk's: "
        "another application manages it; give taskdesk its own database "
        "(TASKDESK_DATABASE_URL)")


def known_revisions() -> set[str]:
    """Every revision in this taskdesk's migrations."""
    from alembic.script import ScriptDirectory

    return {script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}


def _is_newer(revision: str) -> bool:
    """Our revisions are numbered 0001, 0002, …: a higher number is a later taskdesk's."""
    return revision.isdigit() and SCHEMA_HEAD.isdigit() and int(revision) > int(SCHEMA_HEAD)


def _our_names_taken(store: SqlStore) -> list[str]:
    with translate_errors(store.engine.url), store.engine.connect() as conn:
        existing = set(inspect(conn).get_table_names())
    return sorted(existing & set(metadata.tables))
