"""CLI fixtures: `cli` is one installation on SQLite or PostgreSQL (the root `database_url`
fixture with `backend` narrowed to the two real databases); `fresh` has no schema yet. Their
commands run in-process (fast); `.real_process()` gives the same installation as subprocesses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.harness import REAL_BACKENDS, Cli
from tests.support import require_postgres, temporary_database


@pytest.fixture(params=REAL_BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Overrides the root fixture: the CLI needs a database a subprocess can open."""
    name: str = request.param
    if name == "postgres":
        request.getfixturevalue("postgres_url")
    return name


@pytest.fixture
def cli(database_url: str, tmp_path: Path) -> Cli:
    """A data folder and a migrated, empty database."""
    return Cli(home=tmp_path / "home", database_url=database_url, in_process=True)


@pytest.fixture
def sqlite_cli(tmp_path: Path) -> Cli:
    """Where backends do not matter: a data folder whose SQLite database `init` creates."""
    return Cli(home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'home' / 'db.sqlite'}",
               in_process=True)


@pytest.fixture(params=REAL_BACKENDS)
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cli]:
    """An installation before `taskdesk init`: no SQLite file, or an empty PostgreSQL database."""
    home = tmp_path / "home"
    if request.param == "sqlite":
        yield Cli(home=home, database_url=f"sqlite:///{tmp_path / 'fresh.db'}", in_process=True)
        return
    require_postgres()
    with temporary_database() as url:
        yield Cli(home=home, database_url=url, in_process=True)
