"""Fixtures: `store` runs a test against every backend (memory, SQLite, PostgreSQL).

PostgreSQL tests use the real server at TASKDESK_TEST_POSTGRES_URL (default: the local one).
Without a server they are skipped with a loud reason; TASKDESK_REQUIRE_POSTGRES=1 (set by
.ci/run) turns that skip into a failure.

Markers are given here where they can be read from the test itself (see tests/README.md):
`postgres` to every test on the `postgres_url` fixture or with a "postgres" parameter,
`browser`, `chaos` and `fleet` to every test in those folders.
"""

from __future__ import annotations

import functools
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from taskdesk.config import Settings
from taskdesk.store import MemoryStore, Store, open_store
from taskdesk.store.sql import upgrade
from taskdesk.store.sql.schema import metadata
from tests.cli.inprocess import import_cli_as_if_piped
from tests.support import (
    FakeClock,
    isolated_extension_modules,
    require_postgres,
    temporary_database,
)

BACKENDS = ["memory", "sqlite", "postgres"]
#: Import paths the suite's runners may run (the allow-list): its own handler modules.
TEST_ACTIONS = ("tests", "bench")


#: Folders whose every test carries the marker of the same name.
MARKED_FOLDERS = ("browser", "chaos", "fleet")


def pytest_configure(config: pytest.Config) -> None:
    """Import the CLI before any test module can: its Rich consoles are built at import, and
    in-process commands must print as a piped process does, even under `pytest -s`."""
    import_cli_as_if_piped()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark what a test needs from what it asks for, so that no marker can be forgotten:
    `-m "not postgres"` must run without a server, `-m postgres` must select every such test."""
    tests = Path(__file__).parent
    for item in items:
        if needs_postgres(item):
            item.add_marker(pytest.mark.postgres)
        if not item.path.is_relative_to(tests):  # docs/recipes: apps with tests of their own
            continue
        folder = item.path.relative_to(tests).parts[0]
        if folder in MARKED_FOLDERS:
            item.add_marker(getattr(pytest.mark, folder))


#: The one line each chaos and fleet scenario prints (tests/chaos/verdict.py,
#: tests/fleet/summary.py), shown again at the end of every run, with or without -s or xdist.
SCENARIO_LINE = re.compile(r"^(?:chaos|fleet) .* lost = \d+.*$", re.MULTILINE)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The scenarios' lines, read from each test's captured output (xdist brings it to the
    controller with the test's report), in the order their tests finished."""
    lines = [line for kind in ("passed", "failed")
             for report in terminalreporter.stats.get(kind, [])
             if getattr(report, "when", "") == "call"
             for line in SCENARIO_LINE.findall(getattr(report, "capstdout", ""))]
    if lines:
        terminalreporter.write_sep("=", "chaos and fleet scenarios")
        for line in lines:
            terminalreporter.write_line(line)


def needs_postgres(item: pytest.Item) -> bool:
    """The session's PostgreSQL database, or a parameter naming the backend (the `backend`
    fixtures and the tests parametrized over backends ask for the database by that name)."""
    if "postgres_url" in getattr(item, "fixturenames", ()):
        return True
    callspec = getattr(item, "callspec", None)
    return callspec is not None and "postgres" in callspec.params.values()


@pytest.fixture(autouse=True)
def _forget_extension_modules() -> Iterator[None]:
    """Each test imports extensions afresh: no controller module outlives its test."""
    with isolated_extension_modules():
        yield


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database with the schema, created once per session."""
    require_postgres()
    with temporary_database() as url:
        store = open_store(url)
        upgrade(store)
        store.close()
        yield url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name == "postgres":
        request.getfixturevalue("postgres_url")
    return name


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def real_backend(request: pytest.FixtureRequest) -> str:
    """SQLite and PostgreSQL only: for tests whose database another process or connection
    must open. A module narrows `backend` with `def backend(real_backend): return …`."""
    name: str = request.param
    if name == "postgres":
        request.getfixturevalue("postgres_url")
    return name


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite database, made once per session (per xdist worker). A test's
    database is a copy of it: ~1 ms, where running the migrations costs ~80 ms a test."""
    path = tmp_path_factory.mktemp("template") / "taskdesk.db"
    store = open_store(f"sqlite:///{path}", create=True)
    upgrade(store)
    store.close()
    assert not path.with_name("taskdesk.db-wal").exists(), "the template must be checkpointed"
    return path


def copy_database(template: Path, path: Path) -> str:
    """A fresh copy of the migrated template at `path` (its private mode kept): its URL."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    shutil.copy(template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A migrated, empty database of the backend (memory has none: SQLite stands in)."""
    if backend == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        _truncate(url)
        return url
    return copy_database(request.getfixturevalue("sqlite_template"), tmp_path / "taskdesk.db")


@pytest.fixture
def store(backend: str, clock: FakeClock, request: pytest.FixtureRequest) -> Iterator[Store]:
    if backend == "memory":
        yield MemoryStore(clock=clock)
        return
    sql_store = open_store(request.getfixturevalue("database_url"), clock=clock)
    yield sql_store
    sql_store.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for in-process runners: short leases, no retry delay surprises."""
    return Settings(home=tmp_path / "home", lease_seconds=30, retention_seconds=3600,
                    retry_delay_seconds=10, max_attempts=3, allowed_actions=TEST_ACTIONS)


def _truncate(url: str) -> None:
    """Empty every table and restart the ids. DELETE and ALTER SEQUENCE cost ~7 ms where
    TRUNCATE, which makes new files for each table, costs ~60 ms: on hundreds of tests. They
    go as one string, in one round trip (~30 round trips and a catalog query took 70-400 ms
    on a busy machine)."""
    store = open_store(url)
    with store.engine.begin() as conn:
        conn.exec_driver_sql(_emptying_statements(url))
    store.close()


@functools.cache
def _emptying_statements(url: str) -> str:
    """DELETE of every table (children before their parents), then a RESTART of every
    sequence: the schema does not change within a session."""
    store = open_store(url)
    with store.engine.connect() as conn:
        sequences = conn.execute(text(
            "SELECT sequence_name FROM information_schema.sequences "
            "WHERE sequence_schema = current_schema()")).scalars().all()
    store.close()
    deletes = [f'DELETE FROM "{table.name}"' for table in reversed(metadata.sorted_tables)]
    restarts = [f'ALTER SEQUENCE "{sequence}" RESTART' for sequence in sequences]
    return "; ".join(deletes + restarts)
