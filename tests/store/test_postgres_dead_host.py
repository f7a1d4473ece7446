"""Issue 16, item 0, on a real PostgreSQL: a host that dies inside a transaction releases
what it held within about two leases. Every connection the store opens carries session limits
and keepalives derived from the lease (store/sql/sessions.py); a runner's session left idle
inside its claim or its heartbeat (the host died: nothing more comes, nothing is committed)
is ended by the server, and its tasks are then claimed or recovered by another runner."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import psycopg
import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from taskdesk import Taskdesk
from taskdesk.config import Settings
from taskdesk.models.runners import ClaimKey, RunnerInfo
from taskdesk.models.tasks import NewTask, Status
from taskdesk.store import SqlStore, open_store
from taskdesk.store.notify import ListenChannel

LEASE = 2.0  # seconds: the server ends an idle runner transaction after one
SETTINGS = ("idle_in_transaction_session_timeout", "statement_timeout", "tcp_keepalives_idle",
            "tcp_keepalives_interval", "tcp_keepalives_count", "tcp_user_timeout")


@pytest.fixture
def backend(postgres_url: str) -> str:
    return "postgres"


@pytest.fixture
def store(database_url: str) -> Iterator[SqlStore]:
    """A store of a runner whose lease is LEASE, on an empty database."""
    opened = open_store(database_url, lease_seconds=LEASE)
    yield opened
    opened.close()


def shown(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {name: conn.execute(text(f"SHOW {name}")).scalar_one() for name in SETTINGS}


def test_the_runners_and_the_admins_sessions_carry_the_limits(database_url: str) -> None:
    desk = Taskdesk(Settings(database_url=database_url, lease_seconds=40))
    store = desk.store
    assert isinstance(store, SqlStore)
    try:
        runner, admin = shown(store.db.runner_writer), shown(store.engine)
    finally:
        desk.close()

    keepalives = {"tcp_keepalives_idle": "14", "tcp_keepalives_interval": "4",
                  "tcp_keepalives_count": "3", "tcp_user_timeout": "40000"}
    assert runner == {"idle_in_transaction_session_timeout": "20s",
                      "statement_timeout": "20s", **keepalives}
    assert admin == {"idle_in_transaction_session_timeout": "40s",
                     "statement_timeout": "0", **keepalives}


def test_the_listening_session_and_the_client_side_carry_keepalives(store: SqlStore) -> None:
    channel = store.wake_address()
    assert isinstance(channel, ListenChannel)
    with psycopg.connect(channel.conninfo, **dict(channel.settings)) as conn:
        server = {name: conn.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
                  for name in SETTINGS[2:]}
        client = conn.info.get_parameters()
    assert server == {"tcp_keepalives_idle": "1", "tcp_keepalives_interval": "1",
                      "tcp_keepalives_count": "3", "tcp_user_timeout": "10000"}
    assert {key: client[key] for key in ("keepalives", "keepalives_idle",
                                         "keepalives_interval", "keepalives_count",
                                         "tcp_user_timeout")} == {
        "keepalives": "1", "keepalives_idle": "1", "keepalives_interval": "1",
        "keepalives_count": "3", "tcp_user_timeout": "10000"}
    with store.db.runner_writer.connect() as runner:
        dbapi = runner.connection.dbapi_connection
        assert dbapi is not None
        assert dbapi.info.get_parameters()["keepalives"] == "1"


def add(store: SqlStore, count: int) -> None:
    store.add([NewTask(code=f"t{n}", action="tests.support.handlers:record", max_attempts=3)
               for n in range(count)], replace=False)


def dead_session(store: SqlStore) -> tuple[Connection, SqlStore]:
    """A connection of the runner's pool inside a transaction, and the store bound to it: what
    it runs is never committed, as on a host that died."""
    conn = store.db.runner_writer.connect()
    conn.begin()
    return conn, store.bound_to(conn)


def within(seconds: float, done: Callable[[], bool]) -> float:
    """Seconds until `done()` held; fails after `seconds`."""
    started = time.monotonic()
    while not done():
        assert time.monotonic() - started < seconds, f"not within {seconds}s"
        time.sleep(0.05)
    return time.monotonic() - started


def status_of(store: SqlStore, task_id: int) -> Status:
    found = store.get(task_id)
    assert found is not None
    return found.status


def ended(conn: Connection) -> None:
    """The server ended the session: its next statement fails, and nothing it did stays."""
    with pytest.raises(DBAPIError):
        conn.execute(text("SELECT 1"))
    conn.close()


def test_an_uncommitted_claim_of_a_dead_host_is_released_within_a_lease(
    store: SqlStore,
) -> None:
    add(store, 3)
    conn, dying = dead_session(store)
    held = dying.claim("dead-host", lease_seconds=LEASE, limit=2)
    assert len(held) == 2
    other = open_store(str(store.engine.url.render_as_string(hide_password=False)),
                       lease_seconds=LEASE)
    try:
        [free] = other.claim("other-host", lease_seconds=LEASE, limit=3)
        assert free.task_id not in {t.task_id for t in held}
        taken: list[int] = []

        def both_taken() -> bool:
            taken.extend(t.task_id for t in other.claim("other-host", lease_seconds=LEASE,
                                                       limit=3))
            return len(taken) == 2

        seconds = within(2 * LEASE, both_taken)
    finally:
        other.close()
    assert sorted(taken) == sorted(t.task_id for t in held)
    print(f"claim of a dead session released after {seconds:.1f}s (lease {LEASE:g}s)")
    ended(conn)


def test_tasks_a_dead_host_locked_mid_heartbeat_are_recovered_within_two_leases(
    store: SqlStore,
) -> None:
    add(store, 2)
    runner = RunnerInfo(runner_id="dead-host", hostname="dead", pid=1,
                        started_at=store.clock(), last_seen_at=store.clock(),
                        lease_seconds=LEASE)
    claimed = store.claim("dead-host", lease_seconds=LEASE, limit=2)
    started = time.monotonic()
    conn, dying = dead_session(store)
    keys = [ClaimKey.of(t) for t in claimed]
    assert dying.heartbeat(runner, keys, lease_seconds=LEASE) == 2  # locks both, uncommitted

    recovered: list[int | None] = []

    def both_recovered() -> bool:
        recovered.extend(entry.task_id for entry in store.recover(lease_seconds=LEASE))
        return len(recovered) == 2

    within(3 * LEASE, both_recovered)
    seconds = time.monotonic() - started
    assert seconds <= 2 * LEASE + 1, seconds
    assert sorted(recovered) == sorted(t.task_id for t in claimed)  # type: ignore[type-var]
    assert {status_of(store, t.task_id) for t in claimed} == {Status.PENDING}
    print(f"tasks locked by a dead session recovered after {seconds:.1f}s (lease {LEASE:g}s)")
    ended(conn)
