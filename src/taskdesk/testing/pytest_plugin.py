"""taskdesk's pytest plugin, loaded by its `pytest11` entry point once taskdesk is installed.

    # pyproject.toml (or pytest.ini: [pytest])
    [tool.pytest.ini_options]
    taskdesk_app = "myapp.tasks:desk"

    def test_welcome(taskdesk_desk):
        send_welcome.enqueue(user_id=42)
        assert run_due(taskdesk_desk).by_status == {Status.COMPLETE: 1}

`taskdesk_desk` is the application's desk on a throwaway SQLite file in the test's tmp_path
(taskdesk.testing.sqlite.on_sqlite), given back its own database after the test. Which desk:
the fixture `taskdesk_app`, which returns the desk named by the ini option `taskdesk_app`
(`module:attribute`), else by TASKDESK_APP; override `taskdesk_app` in a conftest.py to return
it yourself. Nothing is imported from taskdesk until a test asks for one of these fixtures.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from taskdesk.app import Taskdesk

INI_APP = "taskdesk_app"
DATABASE_FILE = "taskdesk.db"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(INI_APP, default="",
                  help="module:attribute of the application's Taskdesk, for the "
                       "taskdesk_desk fixture (default: TASKDESK_APP)")


@pytest.fixture
def taskdesk_app(pytestconfig: pytest.Config) -> Taskdesk:
    """The application's Taskdesk: override this fixture to give it another way."""
    from taskdesk.app import load_app

    path = str(pytestconfig.getini(INI_APP)) or os.environ.get("TASKDESK_APP", "")
    if not path:
        pytest.fail(f"taskdesk_desk needs the application's desk: set {INI_APP} = "
                    "\"module:attribute\" in the pytest configuration, set TASKDESK_APP, or "
                    "define a fixture taskdesk_app that returns it", pytrace=False)
    return load_app(path)


@pytest.fixture
def taskdesk_desk(taskdesk_app: Taskdesk, tmp_path: Path) -> Iterator[Taskdesk]:
    """The application's desk on a fresh SQLite file for this test (taskdesk.testing)."""
    from taskdesk.testing.sqlite import on_sqlite

    with on_sqlite(taskdesk_app, tmp_path / DATABASE_FILE) as desk:
        yield desk
