"""Wake-up: an idle worker sleeps until an add tells it a task is waiting, instead of polling.

One listener thread per worker turns what the store announces (store/notify.py) into a poke
of a doorbell that the worker's idle threads wait on: LISTEN on a dedicated autocommit
connection for PostgreSQL, a Unix datagram socket for SQLite. The threads still look every
TASKDESK_POLL_SECONDS (delayed tasks falling due, a notification lost while the listener was
reconnecting), and where nothing can be listened to they only poll.

A poke wakes one idle thread, not all of them: each woken thread is one more claim, and on
SQLite one more writer queuing for the single write lock. A woken thread that found work
passes the poke on when it comes back for more (its ticket after the claim that found work),
so that the worker's threads join in one by one while tasks are waiting, and stop at the first
that finds none.
Only the worker's own ring (to stop) wakes every thread.

The same listener hears cancels of running tasks (the notification's payload, or the socket's
byte, says which: store/notify.py): it wakes no worker thread, it calls `on_cancel` (the
runner's LeaseKeeper.check_cancels), which heartbeats at once when the worker holds any claim.
A listener that reconnects calls it too, for a cancel it may have missed meanwhile.

SQLite's folder of sockets must be this user's alone (store/notify.py's FOLDER_MODE): a worker
finding it owned by another user does not bind there and polls, saying so once; one finding
it open to others closes it to them.
"""

from __future__ import annotations

import logging
import os
import select
import socket
import stat
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from taskdesk.runner.outage import backoff
from taskdesk.store.notify import (
    CANCEL_PAYLOAD,
    CANCEL_POKE,
    FOLDER_MODE,
    LISTEN_SQL,
    SOCKET_SUFFIX,
    ListenChannel,
    SocketFolder,
    WakeAddress,
)

logger = logging.getLogger(__name__)

TICK_SECONDS = 0.25  # how often a listener looks whether it was closed (4 wake-ups a second)
RECONNECT_SECONDS = 0.5  # a lost listener's second try; doubling, up to outage's cap
CONNECT_TIMEOUT_SECONDS = 10
APPLICATION_NAME = "taskdesk-wakeup"  # how the listener shows in pg_stat_activity
DRAIN_BYTES = 64


class Wakeup(Protocol):
    """What an idle worker thread waits on. Take a ticket before looking for tasks, then
    wait with it: a ring or a poke between the two is not missed."""

    #: Called (on the listener's thread) when a cancel of running tasks is announced.
    on_cancel: Callable[[], None]

    def ticket(self) -> int: ...

    def wait(self, ticket: int, timeout: float) -> bool:
        """Until rung since `ticket` or poked (True), or `timeout` seconds passed (False)."""
        ...

    def ring(self) -> None:
        """Wake every waiting thread (the worker stopping)."""
        ...

    def close(self) -> None: ...


class PollingWakeup:
    """The doorbell alone: only the worker rings it (to stop); threads wake on the poll. A
    poke (from a listener) wakes one thread, or the next to wait if none is waiting."""

    def __init__(self) -> None:
        self._rung = threading.Condition()
        self._rings = 0
        self._poked = False  # a poke not yet taken: at most one is kept
        #: this thread's tickets since a poke woke it (None: not woken by a poke, or passed)
        self._woken = threading.local()
        self.on_cancel: Callable[[], None] = _nothing  # nobody listens: never called

    def ticket(self) -> int:
        """Take a ticket before looking for tasks. The first after a poke comes before the
        claim; a second means that claim found work and the thread is back for more: then,
        once, the poke is passed on (there may be more for another thread). A thread that
        found nothing waits instead, and passes nothing on: passing a poke it would then take
        itself made an idle worker claim in a loop."""
        rounds = getattr(self._woken, "rounds", None)
        if rounds is not None:
            self._woken.rounds = rounds + 1
            if rounds + 1 >= 2:
                self._woken.rounds = None
                self.poke()
        return self._rings

    def wait(self, ticket: int, timeout: float) -> bool:
        self._woken.rounds = None  # it found nothing: no poke to pass on
        with self._rung:
            if not self._rung.wait_for(lambda: self._rings != ticket or self._poked, timeout):
                return False
            if self._rings == ticket:
                self._poked = False
                self._woken.rounds = 0
            return True

    def poke(self) -> None:
        """Wake one waiting thread (a task was added)."""
        with self._rung:
            self._poked = True
            self._rung.notify()

    def ring(self) -> None:
        with self._rung:
            self._rings += 1
            self._rung.notify_all()

    def close(self) -> None:
        self.ring()


class _Listening(PollingWakeup):
    """A doorbell with a daemon thread that rings it; subclasses listen."""

    def __init__(self) -> None:
        super().__init__()
        self.closed = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="taskdesk-wakeup",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self.closed.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(TICK_SECONDS * 4)
        super().close()

    def _listen(self) -> None:
        raise NotImplementedError


class PostgresWakeup(_Listening):
    """LISTEN on a dedicated autocommit connection; a lost connection (a restart,
    pg_terminate_backend) is reopened quietly, and rings once, for what was added
    meanwhile."""

    def __init__(self, channel: ListenChannel, poll_seconds: float) -> None:
        super().__init__()
        self.channel = channel
        self.poll_seconds = poll_seconds
        self._conn: Any = None

    def start(self) -> None:
        """Listen before the first claim, so that no add between them is missed; a
        database out of reach now is tried again by the thread."""
        try:
            self._conn = self._connect()
        except Exception as error:
            logger.info("wakeup.not_listening yet: %s", error)
        super().start()

    def _connect(self) -> Any:
        import psycopg

        conn = psycopg.connect(self.channel.conninfo, autocommit=True,
                               connect_timeout=CONNECT_TIMEOUT_SECONDS,
                               application_name=APPLICATION_NAME,
                               **dict(self.channel.settings))
        conn.execute(LISTEN_SQL)
        return conn

    def _listen(self) -> None:
        failures = 0
        while not self.closed.is_set():
            try:
                if self._conn is None:
                    self._conn = self._connect()
                    self.poke()  # adds while nobody listened
                    self.on_cancel()  # and cancels
                failures = 0
                self._receive(self._conn)
            except Exception as error:
                failures += 1
                self._lost(error, failures)
        self._drop()

    def _receive(self, conn: Any) -> None:
        while not self.closed.is_set():
            for notice in conn.notifies(timeout=TICK_SECONDS):
                if notice.payload == CANCEL_PAYLOAD:
                    self.on_cancel()
                else:
                    self.poke()

    def _lost(self, error: Exception, failures: int) -> None:
        self._drop()
        log = logger.info if failures == 1 else logger.debug
        log("wakeup.reconnecting after %s: %s", type(error).__name__, error)
        if failures > 1:  # the first try again is at once: a dropped connection, say
            self.closed.wait(min(backoff(RECONNECT_SECONDS, failures - 1), self.poll_seconds))

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception as error:
                logger.debug("wakeup.close_failed %s", error)


class SocketWakeup(_Listening):
    """A Unix datagram socket of its own in the store's folder; removed at close (and by
    the next add if the worker died without closing)."""

    def __init__(self, folder: SocketFolder) -> None:
        super().__init__()
        folder.path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        _check_folder(folder.path)
        self.path = folder.path / f"{os.getpid()}-{uuid.uuid4().hex[:8]}{SOCKET_SUFFIX}"
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            self._socket.bind(str(self.path))
        except OSError:
            self._socket.close()
            raise
        self._socket.setblocking(False)

    def _listen(self) -> None:
        while not self.closed.is_set():
            try:
                readable, _, _ = select.select([self._socket], [], [], TICK_SECONDS)
                added, cancelled = self._drain() if readable else (False, False)
                if cancelled:
                    self.on_cancel()
                if added:
                    self.poke()
            except OSError as error:
                logger.warning("wakeup.socket_failed %s: polling from now on", error)
                return

    def _drain(self) -> tuple[bool, bool]:
        """Read every queued poke without waiting: one ring answers every add's, one
        on_cancel every cancel's; whether there were any of each."""
        added = cancelled = False
        try:
            while data := self._socket.recv(DRAIN_BYTES):
                cancelled = cancelled or CANCEL_POKE in data
                added = added or bool(data.replace(CANCEL_POKE, b""))
        except BlockingIOError:
            pass
        return added, cancelled

    def close(self) -> None:
        super().close()
        self._socket.close()
        self.path.unlink(missing_ok=True)


def _nothing() -> None:
    """No cancel to hear."""


def _check_folder(path: Path) -> None:
    """OSError unless the folder is a real folder of this user; one open to other users is
    closed to them (they could remove our socket, or put theirs in its place)."""
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode):
        raise OSError(f"{path} is not a folder")
    if info.st_uid != os.geteuid():
        raise OSError(f"{path} belongs to user id {info.st_uid}, not to this worker's "
                      f"{os.geteuid()}")
    if stat.S_IMODE(info.st_mode) != FOLDER_MODE:
        os.chmod(path, FOLDER_MODE)
        logger.warning("wakeup.folder_closed %s was mode %o: now %o, this user's alone", path,
                       stat.S_IMODE(info.st_mode), FOLDER_MODE)


def open_wakeup(address: WakeAddress, poll_seconds: float) -> Wakeup:
    """A started wake-up for the store's address; polling if it cannot listen there."""
    try:
        if isinstance(address, ListenChannel):
            listening: _Listening = PostgresWakeup(address, poll_seconds)
        elif isinstance(address, SocketFolder):
            listening = SocketWakeup(address)
        else:
            return PollingWakeup()
    except OSError as error:  # e.g. a socket path longer than the 107 bytes Unix allows
        logger.warning("wakeup.unavailable %s: the worker polls every %gs", error,
                       poll_seconds)
        return PollingWakeup()
    listening.start()
    return listening
