"""The SQLite wake-up's sockets: an add reaches a waiting one, removes a dead one, and never
fails for want of one; a folder too deep for a socket leaves the worker polling."""

from __future__ import annotations

import socket
from pathlib import Path

from taskdesk.runner.wakeup import PollingWakeup, SocketWakeup, open_wakeup
from taskdesk.store.notify import SocketFolder, poke_all


def test_a_poke_rings_a_waiting_socket_and_is_gone_after_close(tmp_path: Path) -> None:
    folder = SocketFolder(tmp_path / "run")
    wakeup = open_wakeup(folder, poll_seconds=30)
    assert isinstance(wakeup, SocketWakeup)
    ticket = wakeup.ticket()
    assert poke_all(folder) == 1
    assert wakeup.wait(ticket, timeout=10)
    wakeup.close()
    assert list(folder.path.iterdir()) == []
    assert poke_all(folder) == 0


def test_a_dead_workers_socket_is_removed_by_the_next_poke(tmp_path: Path) -> None:
    folder = SocketFolder(tmp_path)
    dead = tmp_path / "1-dead.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as orphan:
        orphan.bind(str(dead))  # closed without unlinking: as a killed worker leaves it
    assert poke_all(folder) == 0
    assert not dead.exists()


def test_no_folder_and_no_listener_is_no_error(tmp_path: Path) -> None:
    assert poke_all(SocketFolder(tmp_path / "missing")) == 0


def test_a_folder_too_deep_for_a_socket_leaves_the_worker_polling(tmp_path: Path) -> None:
    deep = SocketFolder(tmp_path / ("d" * 120))
    wakeup = open_wakeup(deep, poll_seconds=30)
    assert type(wakeup) is PollingWakeup
    ticket = wakeup.ticket()
    assert not wakeup.wait(ticket, timeout=0)
    wakeup.ring()
    assert wakeup.wait(ticket, timeout=0)


def test_no_address_means_polling() -> None:
    assert type(open_wakeup(None, poll_seconds=1)) is PollingWakeup
