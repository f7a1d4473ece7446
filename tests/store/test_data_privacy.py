"""Issue 7, item 22 (privacy): the data folder, the database and the error log are private to
their owner (args, responses and tracebacks are in them)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from taskdesk.app import Taskdesk
from taskdesk.config import Settings
from taskdesk.errorlog import ErrorLog

pytestmark = pytest.mark.hostile


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_makes_the_data_folder_and_database_private(
    tmp_path: Path, permissive_umask: None,
) -> None:
    settings = Settings(home=tmp_path / "home")
    database = settings.home / "taskdesk.db"
    desk = Taskdesk(settings.evolve(allowed_actions=("pkg",)))
    desk.init()
    try:
        desk.tasks.add("job", "pkg.mod:fn", {"secret": "hunter2"})
        for path in (database, database.with_name("taskdesk.db-wal"),
                     database.with_name("taskdesk.db-shm")):  # while open: they exist
            assert mode(path) == 0o600, path
    finally:
        desk.close()

    for folder in (settings.home, settings.logs_dir, settings.extensions_dir,
                   settings.packages_dir):
        assert mode(folder) == 0o700, folder


def test_the_error_log_is_private(tmp_path: Path, permissive_umask: None) -> None:
    log = ErrorLog(tmp_path / "logs" / "error.log")

    log.write("Traceback: password=hunter2")

    assert mode(log.path) == 0o600
    assert mode(log.path.parent) == 0o700
