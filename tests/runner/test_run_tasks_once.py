"""Issue 14, item 33: Run Tasks pressed on two admin processes (two desks on one database) at
the same moment, or 0.2 s apart, starts one runner: the start is claimed in the database."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from taskdesk.views import RunStartView


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend  # two desks share the database: SQLite and PostgreSQL only


class Spawns:
    """Stands in for `taskdesk start --background`: a process that lives a few seconds and
    never registers (the gap the claim covers), counted."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[bytes]] = []

    def __call__(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(["sleep", "5"])
        self.started.append(process)
        return process

    def end(self) -> None:
        for process in self.started:
            process.kill()
            process.wait()


@pytest.fixture
def desks(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
          ) -> Iterator[tuple[list[Taskdesk], Spawns]]:
    spawns = Spawns()
    desks = [Taskdesk(database_url=database_url, home=tmp_path / "home") for _ in range(2)]
    for desk in desks:
        monkeypatch.setattr(desk, "spawn_runner", spawns)
    try:
        yield desks, spawns
    finally:
        spawns.end()
        for desk in desks:
            desk.close()


def press_together(desks: list[Taskdesk], gap: float) -> list[RunStartView]:
    ready = threading.Barrier(len(desks))
    results: list[RunStartView] = []

    def press(index: int) -> None:
        ready.wait()
        time.sleep(gap * index)
        results.append(Admin(desks[index]).background.start())

    threads = [threading.Thread(target=press, args=(i,)) for i in range(len(desks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.parametrize("gap", [0.0, 0.2])
def test_two_admin_processes_pressing_start_one_runner(
        desks: tuple[list[Taskdesk], Spawns], gap: float) -> None:
    both, spawns = desks
    results = press_together(both, gap)

    assert len(spawns.started) == 1
    assert sorted(result["started"] for result in results) == [False, True]
    [refused] = [result for result in results if not result["started"]]
    assert "already starting" in refused["message"]


def test_once_its_runner_ended_another_process_may_start_the_next(
        desks: tuple[list[Taskdesk], Spawns]) -> None:
    (first, second), spawns = desks
    assert Admin(first).background.start()["started"]
    spawns.end()  # the runner it started is done

    assert Admin(first).background.running() == []  # seen ended: the claim is given back
    assert Admin(second).background.start()["started"]
    assert len(spawns.started) == 2
