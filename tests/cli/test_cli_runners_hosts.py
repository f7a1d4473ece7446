"""`taskdesk runners` and `taskdesk hosts`: runners grouped by host, a host whose runners
died shown as lost with when it was last seen, a clean stop not lost, `hosts --forget HOST`;
hostile host names printed literally (issue 16, item 5)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest

from taskdesk.clock import utcnow
from taskdesk.models.runners import RunnerInfo
from taskdesk.store import Store, open_store
from tests.cli.harness import Cli, error_line

LEASE = 30.0
HOSTILE = "[bold]x[/bold]\x1b[31m"


@contextmanager
def store_of(cli: Cli) -> Iterator[Store]:
    store = open_store(cli.database_url)
    try:
        yield store
    finally:
        store.close()


def died(cli: Cli, hostname: str) -> None:
    """A runner of `hostname` that stopped heartbeating three leases ago, then recovered."""
    seen = utcnow() - timedelta(seconds=LEASE * 3)
    with store_of(cli) as store:
        store.register_runner(RunnerInfo(
            runner_id=f"{hostname}:9:abcd1234", hostname=hostname, pid=9, started_at=seen,
            last_seen_at=seen, lease_seconds=LEASE))
        store.recover(lease_seconds=LEASE)


def without_ages(table: str) -> str:
    """The table with every "N s ago" alike: two listings a moment apart may differ there."""
    return re.sub(r"\d+ s ago", "N s ago", table)


def test_hosts_up_lost_and_stopped(cli: Cli) -> None:
    cli.add("job", "tests.support.handlers:noop")
    started = cli.run("start", "--quiet", extra_env={"TASKDESK_HOST_NAME": "alpha"})
    assert started.code == 0, started
    died(cli, "beta")

    hosts = {host["hostname"]: host for host in cli.json("hosts")}

    assert hosts["alpha"]["state"] == "stopped"  # `start` drained and stopped cleanly
    assert hosts["alpha"]["completed"] == 1
    assert hosts["beta"]["state"] == "lost"
    assert hosts["beta"]["last_seen_seconds"] >= LEASE * 3 - 1
    table = cli.ok("runners")
    assert "2 hosts, 0 runners" in table
    assert "LOST" in table
    assert without_ages(cli.ok("hosts")) == without_ages(table)  # a second may pass between
    assert cli.json("runners") == []  # the runners alone, as /api/runners


def test_no_runner_yet_says_how_to_start_one_and_one_host_is_singular(cli: Cli) -> None:
    assert "no runner has registered yet" in cli.ok("runners")
    assert "`taskdesk worker`" in cli.ok("hosts")
    cli.add("job", "tests.support.handlers:noop")
    assert cli.run("start", "--quiet", extra_env={"TASKDESK_HOST_NAME": "alpha"}).code == 0
    assert "1 host, 0 runners" in cli.ok("runners")


def test_forget_a_lost_host(cli: Cli) -> None:
    died(cli, "beta")

    assert "forgot host beta" in cli.ok("hosts", "--forget", "beta")

    assert cli.json("hosts") == []
    assert "no host beta is known" in error_line(cli.run("hosts", "--forget", "beta"), 3)


@pytest.mark.hostile
def test_a_hostile_host_name_is_printed_literally(cli: Cli) -> None:
    died(cli, HOSTILE)

    table = cli.ok("runners")

    assert "\x1b" not in table
    assert "[bold]x[/bold]" in table  # no markup: the brackets are shown
    assert [host["hostname"] for host in cli.json("hosts")] == [HOSTILE]
