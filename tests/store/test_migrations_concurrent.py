"""Issue 7, item 17: concurrent `taskdesk init`s on an empty PostgreSQL database all succeed
(they used to collide on CREATE TABLE: a duplicate pg_type key). Each init is its own process,
as `taskdesk init`s are (Alembic's context is a process-wide global)."""

from __future__ import annotations

import multiprocessing
from multiprocessing.synchronize import Barrier

import pytest

from taskdesk.store import open_store
from taskdesk.store.sql.migrate import SCHEMA_HEAD, current_revision, upgrade
from tests.support import require_postgres, temporary_database

pytestmark = pytest.mark.hostile

ROUNDS = 2  # fresh databases
INITS = 5  # concurrent upgrades of each
JOIN_SECONDS = 120


def init(url: str, start: Barrier) -> None:
    """One `taskdesk init`'s migration; exits non-zero if it fails."""
    store = open_store(url)
    try:
        start.wait()
        upgrade(store)
    finally:
        store.close()


def upgrade_at_once(url: str) -> list[int | None]:
    """INITS processes released together into upgrade(); their exit codes."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(INITS)
    processes = [context.Process(target=init, args=(url, start)) for _ in range(INITS)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(JOIN_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()
    return [process.exitcode for process in processes]


@pytest.mark.postgres
def test_concurrent_upgrades_of_an_empty_postgres_database_all_succeed() -> None:
    require_postgres()
    for _ in range(ROUNDS):
        with temporary_database() as url:
            assert upgrade_at_once(url) == [0] * INITS
            store = open_store(url)
            assert current_revision(store) == SCHEMA_HEAD
            store.close()
