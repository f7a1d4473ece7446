"""The fleet fixture: one network and one scratch cluster for the session's fleet tests (per
xdist worker; each test empties the tables and restores every link), removed at
the end whatever happens. Where namespaces or PostgreSQL 15 cannot be had, the tests are
skipped with a loud reason; TASKDESK_REQUIRE_FLEET=1 (set by .ci/run) makes that a failure."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import NoReturn

import pytest

from tests.fleet.cluster import NoPostgres
from tests.fleet.harness import Fleet, close_fleet, open_fleet
from tests.fleet.network import NoNamespaces

REQUIRE_FLEET = os.environ.get("TASKDESK_REQUIRE_FLEET", "") not in ("", "0")


def cannot(reason: str) -> NoReturn:
    if REQUIRE_FLEET:
        pytest.fail(f"{reason} (TASKDESK_REQUIRE_FLEET is set)", pytrace=False)
    pytest.skip(f"SKIPPING FLEET TESTS: {reason}")


@pytest.fixture(scope="session")
def fleet_once() -> Iterator[Fleet]:
    if os.geteuid() != 0:
        cannot("network namespaces need root")
    try:
        fleet = open_fleet(hosts=3)
    except FileNotFoundError as error:
        cannot(f"a command the fleet needs is missing (ip, unshare, runuser): {error}")
    except (NoNamespaces, NoPostgres) as error:
        cannot(f"cannot build the fleet here: {error}")
    try:
        yield fleet
    finally:
        close_fleet(fleet)


@pytest.fixture
def fleet(fleet_once: Fleet) -> Iterator[Fleet]:
    """The module's fleet with empty tables and no worker running; afterwards any worker the
    test left is killed."""
    fleet_once.clear()
    try:
        yield fleet_once
    finally:
        fleet_once.kill_workers()
        for namespace in fleet_once.network.hosts:
            fleet_once.network.restore(namespace)
