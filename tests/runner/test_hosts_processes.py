"""Issue 16, item 5, with real processes: two `python -m taskdesk worker` processes named as
two hosts (TASKDESK_HOST_NAME). The one SIGKILLed is shown as lost once its lease has passed,
with when it was last seen; the one SIGTERMed drains and is stopped, never lost."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from taskdesk.clock import parse_moment, utcnow
from tests.runner.processes import Desk, end, finish, wait_for

LEASE = "2"


def by_name(desk: Desk) -> dict[str, Any]:
    return {host["hostname"]: host for host in desk.json("hosts")}


def states(desk: Desk) -> dict[str, str]:
    return {name: host["state"] for name, host in by_name(desk).items()}


@pytest.mark.slow
def test_a_killed_host_is_lost_and_a_drained_one_stopped(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    alpha, beta = (Desk(tmp_path / "home", url, poll_seconds="0.1", lease_seconds=LEASE,
                        host_name=name) for name in ("alpha", "beta"))
    alpha.run("init")
    killed, drained = alpha.spawn("worker"), beta.spawn("worker")
    try:
        wait_for(lambda: states(alpha) == {"alpha": "up", "beta": "up"}, timeout=60,
                 what="both hosts up")
        os.kill(killed.pid, signal.SIGKILL)
        killed_at = utcnow()
        os.kill(drained.pid, signal.SIGTERM)
        finish(drained, timeout=60)
        wait_for(lambda: states(alpha).get("alpha") == "lost", timeout=30,
                 what="the killed host to be shown lost")
    finally:
        end(killed)
        end(drained)

    hosts = by_name(alpha)
    assert hosts["beta"]["state"] == "stopped"
    assert hosts["beta"]["lost"] is False
    assert hosts["alpha"]["lost"] is True
    last_seen = parse_moment(hosts["alpha"]["last_seen_at"])
    assert last_seen <= killed_at
    assert (utcnow() - last_seen).total_seconds() >= float(LEASE)  # lost after its lease
    assert "LOST" in alpha.run("runners").stdout
