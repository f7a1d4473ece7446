"""Helpers shared by the test suites: a clock tests can move, and database set-up."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from taskdesk.extensions.loader import PACKAGE_PREFIX

ADMIN_URL = os.environ.get(
    "TASKDESK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("TASKDESK_REQUIRE_POSTGRES", "") not in ("", "0")


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _driver_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def postgres_unreachable_reason() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when the server answers."""
    try:
        engine = create_engine(_driver_url(ADMIN_URL))
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # any failure to connect means: cannot test here
        return f"PostgreSQL at {ADMIN_URL} is not reachable: {str(error).splitlines()[0]}"
    return None


def require_postgres() -> None:
    """Skip loudly, or fail when TASKDESK_REQUIRE_POSTGRES is set (as .ci/run does)."""
    reason = postgres_unreachable_reason()
    if reason is None:
        return
    if REQUIRE_POSTGRES:
        pytest.fail(f"{reason} (TASKDESK_REQUIRE_POSTGRES is set)", pytrace=False)
    pytest.skip(f"SKIPPING POSTGRESQL TESTS: {reason}")


@contextmanager
def temporary_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for this test session; dropped afterwards."""
    name = f"taskdesk_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_driver_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def extension_modules() -> set[str]:
    """The synthetic packages and modules the extension loader has imported."""
    return {name for name in sys.modules
            if name == PACKAGE_PREFIX or name.startswith(PACKAGE_PREFIX + ".")}


@contextmanager
def isolated_extension_modules() -> Iterator[None]:
    """Drop the synthetic extension modules a test created, once it ends."""
    before = extension_modules()
    try:
        yield
    finally:
        for name in extension_modules() - before:
            del sys.modules[name]
