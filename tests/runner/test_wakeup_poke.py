"""The add's side of the SQLite wake-up: a poke removes only dead sockets from `run/`, never
another kind of file that happens to be named `*.sock` (issue 14 #18)."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

from taskdesk.store.notify import SocketFolder, poke_all


def test_a_poke_leaves_a_regular_file_and_a_fifo_named_sock(tmp_path: Path) -> None:
    regular = tmp_path / "notes.sock"
    regular.write_text("not a socket")
    fifo = tmp_path / "pipe.sock"
    os.mkfifo(fifo)
    dead = tmp_path / "1-dead.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as orphan:
        orphan.bind(str(dead))  # closed without unlinking: as a killed worker leaves it
    assert poke_all(SocketFolder(tmp_path)) == 0
    assert regular.read_text() == "not a socket"
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert not dead.exists()
