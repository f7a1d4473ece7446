"""How a runner learns of a cancel, piece by piece: its LeaseKeeper raises a claim's cancel
signal only when the heartbeat missed it because the task is cancelled — a lease lost to a
recovery keeps today's behaviour (a warning, the task told nothing) — asks the store nothing
more while every claim holds, and stops heartbeating a cancelled claim; a cancel's poke on
SQLite's sockets calls on_cancel without waking a worker thread, and an add's poke wakes one
without calling it."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from taskdesk.config import Settings
from taskdesk.models.runners import ClaimKey, RunnerInfo
from taskdesk.models.tasks import NewTask
from taskdesk.runner.lease import LeaseKeeper
from taskdesk.runner.wakeup import open_wakeup
from taskdesk.store import MemoryStore
from taskdesk.store.notify import CANCEL_POKE, SocketFolder, poke_all
from tests.support import FakeClock

LEASE = 30.0


def running(clock: FakeClock) -> tuple[MemoryStore, LeaseKeeper, ClaimKey]:
    store = MemoryStore(clock=clock)
    info = RunnerInfo(runner_id="w1", hostname="host", pid=1, started_at=clock.now,
                      last_seen_at=clock.now)
    store.register_runner(info)
    store.add([NewTask(code="a", action="x:y", max_attempts=3)])
    keeper = LeaseKeeper(store, info, Settings(lease_seconds=LEASE))
    [claim] = keeper.hold(store.claim("w1", lease_seconds=LEASE))
    return store, keeper, claim


def test_a_cancel_raises_the_claims_signal_and_ends_its_heartbeats(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    store, keeper, claim = running(FakeClock())
    asked: list[list[int]] = []
    among = store.cancels.cancelled_among

    def counted(ids: list[int]) -> list[int]:
        asked.append(list(ids))
        return among(ids)

    monkeypatch.setattr(store.cancels, "cancelled_among", counted)
    keeper.beat()
    assert asked == []  # every claim held: nothing more is read
    signal = keeper.cancel_signal(claim)

    store.cancels.cancel([claim.task_id], by="ann")
    with caplog.at_level(logging.INFO):
        keeper.beat()
        keeper.beat()

    assert signal() is True
    assert asked == [[claim.task_id]]  # asked once: a known cancel is not heartbeaten again
    assert "lease.lost" not in caplog.text
    assert "task.cancelled" in caplog.text


def test_a_lost_lease_is_not_told_as_a_cancel(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    store, keeper, claim = running(clock)
    clock.advance(LEASE + 1)
    store.recover(lease_seconds=LEASE)  # another runner took the task back

    with caplog.at_level(logging.WARNING):
        keeper.beat()

    assert keeper.cancel_signal(claim)() is False
    assert "lease.lost" in caplog.text


def test_a_cancels_poke_calls_on_cancel_and_wakes_no_thread(tmp_path: Path) -> None:
    folder = SocketFolder(tmp_path / "run")
    wakeup = open_wakeup(folder, poll_seconds=30)
    heard = threading.Event()
    wakeup.on_cancel = heard.set
    try:
        ticket = wakeup.ticket()
        assert poke_all(folder, CANCEL_POKE) == 1
        assert heard.wait(5)
        assert wakeup.wait(ticket, 0.5) is False  # no worker thread was woken
        heard.clear()
        assert poke_all(folder) == 1
        assert wakeup.wait(ticket, 5) is True
        assert not heard.is_set()
    finally:
        wakeup.close()
