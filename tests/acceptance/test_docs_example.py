"""The "Testing an extension" example of docs/extensions.md, run as written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from taskdesk import ErrorLog, Settings, TaskRegistry
from taskdesk.extensions.catalogue import Catalogue
from taskdesk.extensions.lifecycle import Lifecycle
from taskdesk.extensions.loader import ControllerLoader
from taskdesk.resolve import Resolver
from taskdesk.runner import Runner
from taskdesk.store import MemoryStore

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _in_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # the example names the folder `examples` relative to the project


def test_install_registers_my_task_and_it_logs(tmp_path: Path) -> None:
    assert Path(os.getcwd()) == REPO
    settings = Settings(home=tmp_path)
    store = MemoryStore()
    catalogue = Catalogue(Path("examples"))
    loader = ControllerLoader(catalogue.locate)
    Lifecycle(catalogue, loader, store, settings, ErrorLog(settings.error_log)).install(
        "test_module")

    assert [t.code for t in TaskRegistry(store, settings).list_tasks()] == ["my_task"]
    Runner(store, settings, resolver=Resolver(loader)).drain()
    assert "My task has successfully started!" in settings.error_log.read_text()
