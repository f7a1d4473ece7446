"""Throw-away databases: a SQLite file in a folder, or a new PostgreSQL database that is
dropped when the block ends (even on Ctrl-C)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import URL, Engine, create_engine, make_url, text

BACKENDS = ("sqlite", "postgres")
#: The server's maintenance database; the benchmark creates and drops its own next to it.
ADMIN_URL = os.environ.get(
    "TASKDESK_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
NAME_PREFIX = "taskdesk_bench_"


def _admin_url() -> URL:
    return make_url(ADMIN_URL).set(drivername="postgresql+psycopg")


def admin_engine() -> Engine:
    """An engine on the maintenance database, outside transactions (for CREATE DATABASE)."""
    return create_engine(_admin_url(), isolation_level="AUTOCOMMIT")


@contextmanager
def fresh_database(backend: str, folder: Path) -> Iterator[str]:
    """The URL of a new, empty database (no schema yet) of the backend."""
    if backend == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{folder / 'taskdesk.db'}"
        return
    with _postgres_database() as url:
        yield url


@contextmanager
def _postgres_database() -> Iterator[str]:
    name = f"{NAME_PREFIX}{uuid.uuid4().hex[:10]}"
    admin = admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(ADMIN_URL).set(database=name)
            yield url.render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
