"""How an add tells idle workers that a task is waiting, and where they listen for it.

PostgreSQL: the add's own transaction runs `pg_notify`, which the server delivers at commit
and never for a rolled-back add; workers LISTEN on a dedicated connection. SQLite: each
waiting worker binds a Unix datagram socket in a private folder beside the database, and an
add sends every socket there one byte. That is best effort: a socket nobody reads any more
(its worker died) is removed — a socket only: any other file named `*.sock` there (a regular
file, a FIFO) is not ours and stays — and nothing an add does here can fail it. An adder that
may not reach the folder (another user's) says so once, as its adds then wait for the workers'
poll. The waiting side is taskdesk.runner.wakeup; this module is only the address both sides
agree on and the poke.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import stat
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

CHANNEL = "taskdesk_tasks"  # the PostgreSQL notification channel
NOTIFY_SQL = f"SELECT pg_notify('{CHANNEL}', '')"
#: A cancel of running tasks: every runner looks at its claims now (the payload tells it
#: from an add's empty one; runner/wakeup.py).
CANCEL_PAYLOAD = "cancel"
NOTIFY_CANCEL_SQL = f"SELECT pg_notify('{CHANNEL}', '{CANCEL_PAYLOAD}')"
LISTEN_SQL = f"LISTEN {CHANNEL}"
SOCKET_FOLDER = "run"  # beside the database file: $TASKDESK_HOME/run by default
SOCKET_SUFFIX = ".sock"
FOLDER_MODE = 0o700
POKE = b"\x01"
CANCEL_POKE = b"\x02"  # a cancel of running tasks, as CANCEL_PAYLOAD


@dataclass(frozen=True)
class ListenChannel:
    """Where a PostgreSQL worker listens: a libpq connection string, the channel, and the
    libpq parameters of the listening session (its keepalives: store/sql/sessions.py)."""

    conninfo: str
    channel: str = CHANNEL
    settings: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class SocketFolder:
    """Where SQLite workers bind their datagram sockets, one each."""

    path: Path


#: A store's answer to "where do I wait for adds?"; None: nowhere, poll.
WakeAddress = ListenChannel | SocketFolder | None


def socket_folder(database: Path) -> SocketFolder:
    """The folder for a SQLite database: `run/` beside its file. Databases sharing a folder
    share it too, which costs a spurious wake-up at worst (the claim then finds nothing)."""
    return SocketFolder(database.absolute().parent / SOCKET_FOLDER)


def poke_all(folder: SocketFolder, poke: bytes = POKE) -> int:
    """Send one byte (`poke`: an add's, or CANCEL_POKE) to every worker's socket in the
    folder; how many were reached. Never raises: an add must not fail, or wait, because of a
    worker."""
    try:
        names = [name for name in os.listdir(folder.path) if name.endswith(SOCKET_SUFFIX)]
    except FileNotFoundError:
        return 0  # no folder: no worker ever waited here
    except OSError as error:
        _unreachable(str(folder.path), type(error).__name__)
        return 0
    if not names:
        return 0
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
        sender.setblocking(False)
        return sum(_poke(sender, folder.path / name, poke) for name in names)


def _poke(sender: socket.socket, path: Path, poke: bytes) -> bool:
    try:
        sender.sendto(poke, str(path))
    except BlockingIOError:
        return True  # its queue is full of earlier pokes: it will wake anyway
    except ConnectionRefusedError:
        _forget(path)  # nobody reads it: its worker died without cleaning up
        return False
    except PermissionError as error:
        _unreachable(str(path.parent), type(error).__name__)
        return False
    except OSError as error:
        logger.debug("wakeup.poke_failed %s: %s", path, error)
        return False
    return True


@cache
def _unreachable(folder: str, reason: str) -> None:
    """Warn, once per folder and reason in this process, that adds cannot wake workers."""
    logger.warning("wakeup.unreachable %s (%s): workers there are not woken by this "
                   "process's adds and take them on their poll (TASKDESK_POLL_SECONDS); run "
                   "adders and workers as one user", folder, reason)


def _forget(path: Path) -> None:
    """Remove a dead worker's socket; a file of another kind under that name is left alone
    (sending to it is refused just the same)."""
    with contextlib.suppress(OSError):  # another add removed it first
        if stat.S_ISSOCK(path.lstat().st_mode):
            path.unlink()
