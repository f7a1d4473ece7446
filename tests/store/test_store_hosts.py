"""Issue 16, item 5, on every backend: the record of hosts. A host whose runners all died is
kept, with when it was last seen, after recovery forgets their rows; a clean stop of its last
runner marks it stopped; it is forgotten by an operator or a day after it was last seen; and
the task log is counted per host (lease-lost attempts apart)."""

from __future__ import annotations

from taskdesk.models.runners import HOST_MEMORY_SECONDS, Finished, RunnerInfo, host_of
from taskdesk.models.tasks import Status
from taskdesk.store import Store
from tests.store.test_store import LEASE, RETAIN, add_one, outcome
from tests.support import FakeClock


def started(store: Store, clock: FakeClock, host: str, pid: int) -> RunnerInfo:
    info = RunnerInfo(runner_id=f"{host}:{pid}:abcd1234", hostname=host, pid=pid,
                      started_at=clock.now, last_seen_at=clock.now, lease_seconds=LEASE,
                      queues=("default", "mail"))
    store.register_runner(info)
    return info


def by_name(store: Store) -> dict[str, tuple[object, object]]:
    return {h.hostname: (h.last_seen_at, h.stopped_at) for h in store.hosts()}


def test_a_runner_id_names_its_host() -> None:
    assert host_of("web-1:42:abcd1234") == "web-1"
    assert host_of("a:b:42:abcd1234") == "a:b"  # a host name with a colon still reads back
    assert host_of("w1") is None
    assert host_of(None) is None


def test_a_start_records_the_host_and_the_queues_served(store: Store, clock: FakeClock) -> None:
    started(store, clock, "alpha", 1)
    [host] = store.hosts()
    assert (host.hostname, host.first_seen_at, host.stopped_at) == ("alpha", clock.now, None)
    assert store.runners()[0].queues == ("default", "mail")


def test_a_dead_host_is_kept_with_its_last_heartbeat(store: Store, clock: FakeClock) -> None:
    runner = started(store, clock, "alpha", 1)
    clock.advance(5)
    store.heartbeat(runner, [], lease_seconds=LEASE)
    last_beat = clock.now
    clock.advance(LEASE + 1)

    store.recover(lease_seconds=LEASE)

    assert store.runners() == []
    assert by_name(store) == {"alpha": (last_beat, None)}  # not stopped: lost


def test_a_clean_stop_of_the_last_runner_stops_the_host(store: Store, clock: FakeClock) -> None:
    first, second = started(store, clock, "alpha", 1), started(store, clock, "alpha", 2)
    clock.advance(3)
    store.unregister_runner(first.runner_id)
    assert by_name(store)["alpha"][1] is None  # one runner is still there
    clock.advance(3)
    store.unregister_runner(second.runner_id)

    assert by_name(store) == {"alpha": (clock.now, clock.now)}
    started(store, clock, "alpha", 3)  # started again: running, not stopped
    assert by_name(store)["alpha"][1] is None


def test_hosts_are_forgotten_by_an_operator_or_after_a_day(
    store: Store, clock: FakeClock,
) -> None:
    started(store, clock, "old", 1)
    started(store, clock, "gone", 2)
    assert store.forget_host("gone") is True
    assert store.forget_host("gone") is False
    clock.advance(HOST_MEMORY_SECONDS - 1)
    store.recover(lease_seconds=LEASE)
    assert list(by_name(store)) == ["old"]  # lost for almost a day: still shown
    clock.advance(2)
    store.recover(lease_seconds=LEASE)
    assert by_name(store) == {}


def test_the_log_is_counted_per_host(store: Store, clock: FakeClock) -> None:
    add_one(store, "a")
    add_one(store, "b")
    add_one(store, "c")
    on_alpha = store.claim("alpha:1:abcd1234", lease_seconds=LEASE, limit=2)
    [on_beta] = store.claim("beta:1:abcd1234", lease_seconds=LEASE)
    store.finish_many("alpha:1:abcd1234", [Finished(on_alpha[0], outcome()),
                                           Finished(on_alpha[1], outcome(Status.FAILED))],
                      retention_seconds=RETAIN)
    clock.advance(LEASE + 1)
    store.recover(lease_seconds=LEASE)  # beta's task comes back: pending, on beta's count
    store.finish_many("beta:1:abcd1234", [Finished(on_beta, outcome())],
                      retention_seconds=RETAIN)  # too late: lease lost

    expected = {"alpha": {"complete": 1, "failed": 1},
                "beta": {"pending": 1, "lease_lost": 1}}
    assert store.host_counts() == expected
    store.clear_log()  # folded as they go: the counts never fall
    assert store.host_counts() == expected
    clock.advance(1)
    store.prune_log(retention_seconds=0)
    assert store.host_counts() == expected


def test_a_forgotten_host_takes_its_counts(store: Store, clock: FakeClock) -> None:
    started(store, clock, "alpha", 1)
    add_one(store, "a")
    [task] = store.claim("alpha:1:abcd1234", lease_seconds=LEASE)
    store.finish_many("alpha:1:abcd1234", [Finished(task, outcome())], retention_seconds=RETAIN)
    store.clear_log()
    assert store.host_counts() == {"alpha": {"complete": 1}}

    store.forget_host("alpha")

    assert store.host_counts() == {}
    assert store.log_counts() == {Status.COMPLETE: 1}  # the installation's never fall


def test_hostile_host_names_are_kept_as_given(store: Store, clock: FakeClock) -> None:
    hostile = 'a"b\\c\nd:<e>'
    runner = started(store, clock, hostile, 1)
    add_one(store, "a")
    [task] = store.claim(runner.runner_id, lease_seconds=LEASE)
    store.finish_many(runner.runner_id, [Finished(task, outcome())], retention_seconds=RETAIN)
    store.clear_log()

    assert [h.hostname for h in store.hosts()] == [hostile]
    assert store.host_counts() == {hostile: {"complete": 1}}
    assert store.forget_host(hostile)
    assert store.host_counts() == {}


def test_a_runner_forgotten_while_paused_records_its_host_again(
    store: Store, clock: FakeClock,
) -> None:
    runner = started(store, clock, "alpha", 1)
    store.forget_host("alpha")
    clock.advance(LEASE + 1)
    store.recover(lease_seconds=LEASE)
    store.heartbeat(runner, [], lease_seconds=LEASE)
    assert by_name(store) == {"alpha": (clock.now, None)}
