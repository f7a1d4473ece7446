"""The doorbell and its folder: a poke wakes one idle thread (one claimer per worker, not a
stampede on SQLite's single writer), which passes it on when it comes back for more; the
worker's ring wakes them all. The socket folder must be this user's alone, and an adder that
cannot reach it says so once."""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from pathlib import Path

import pytest

from taskdesk.runner.wakeup import PollingWakeup, SocketWakeup, Wakeup, open_wakeup
from taskdesk.store.notify import SocketFolder, poke_all
from tests.runner.processes import wait_for

NOBODY = 65534
SETTLE_SECONDS = 0.3  # for a thread that should stay asleep to show that it does not


class Sleepers:
    """Threads that each wait once on the doorbell and record that they woke."""

    def __init__(self, doorbell: Wakeup, count: int) -> None:
        self.woken: list[str] = []
        self.waiting = threading.Barrier(count + 1)
        self.threads = [threading.Thread(target=self._sleep, args=(doorbell, f"t{n}"))
                        for n in range(count)]
        for thread in self.threads:
            thread.start()
        self.waiting.wait()
        time.sleep(SETTLE_SECONDS)  # each is inside wait() by now

    def _sleep(self, doorbell: Wakeup, name: str) -> None:
        ticket = doorbell.ticket()
        self.waiting.wait()
        if doorbell.wait(ticket, timeout=30):
            self.woken.append(name)

    def join(self) -> None:
        for thread in self.threads:
            thread.join(30)


def test_an_adds_datagram_wakes_one_waiting_thread_and_a_ring_wakes_them_all(
    tmp_path: Path,
) -> None:
    folder = SocketFolder(tmp_path / "run")
    doorbell = open_wakeup(folder, poll_seconds=30)
    assert isinstance(doorbell, SocketWakeup)
    try:
        sleepers = Sleepers(doorbell, 4)

        assert poke_all(folder) == 1
        wait_for(lambda: len(sleepers.woken) == 1, timeout=5, what="one thread to wake")
        time.sleep(SETTLE_SECONDS)
        assert len(sleepers.woken) == 1

        doorbell.ring()
        sleepers.join()
        assert len(sleepers.woken) == 4
    finally:
        doorbell.close()


def test_a_thread_woken_by_a_poke_passes_it_on_when_it_comes_back_for_more() -> None:
    doorbell = PollingWakeup()
    ticket = doorbell.ticket()
    doorbell.poke()  # while nobody waits: kept for the next to wait
    assert doorbell.wait(ticket, timeout=0)  # this thread is woken by the poke
    sleepers = Sleepers(doorbell, 2)

    doorbell.ticket()  # before its claim: nothing passed on yet
    time.sleep(SETTLE_SECONDS)
    assert sleepers.woken == []
    doorbell.ticket()  # its claim found work and it comes back for more: one more wakes
    wait_for(lambda: len(sleepers.woken) == 1, timeout=5, what="the poke passed on")
    time.sleep(SETTLE_SECONDS)
    assert len(sleepers.woken) == 1
    doorbell.ring()
    sleepers.join()


def test_a_socket_folder_open_to_others_is_closed_to_them(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    folder.chmod(0o777)

    wakeup = open_wakeup(SocketFolder(folder), poll_seconds=30)
    try:
        assert isinstance(wakeup, SocketWakeup)
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    finally:
        wakeup.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_a_socket_folder_of_another_user_is_not_used(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    folder = tmp_path / "run"
    folder.mkdir(mode=0o777)
    os.chown(folder, NOBODY, NOBODY)

    wakeup = open_wakeup(SocketFolder(folder), poll_seconds=30)

    assert type(wakeup) is PollingWakeup
    assert list(folder.iterdir()) == []
    assert f"belongs to user id {NOBODY}" in caplog.text


@pytest.mark.skipif(os.geteuid() != 0, reason="becoming another user needs root")
def test_an_adder_that_cannot_reach_the_folder_warns_once(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir(mode=0o700)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # another user's adder, two adds
        try:
            os.close(read)
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            handler = logging.StreamHandler(os.fdopen(write, "w"))
            logging.getLogger("taskdesk.store.notify").addHandler(handler)
            poke_all(SocketFolder(folder))
            poke_all(SocketFolder(folder))
            handler.flush()
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as said:
        text = said.read()
    os.waitpid(child, 0)
    assert text.count("wakeup.unreachable") == 1
    assert "PermissionError" in text


def test_a_thread_woken_by_a_poke_that_finds_nothing_sleeps_again() -> None:
    """An idle worker woken once must not wake itself: a thread that passed the poke on before
    finding nothing took it back at its next wait, and claimed in a loop (a core at 100%)."""
    doorbell = PollingWakeup()
    ticket = doorbell.ticket()
    doorbell.poke()
    assert doorbell.wait(ticket, timeout=0)  # woken by the poke

    spins = 0
    for _ in range(5):  # the runner's rounds: a ticket, a claim that finds nothing, a wait
        ticket = doorbell.ticket()
        if doorbell.wait(ticket, timeout=0.05):
            spins += 1

    assert spins == 0
