"""Issue 16, item 5, in the admin web: the dashboard, /api/hosts, the runner banner and
/metrics group runners by host; a lost host shows with when it was last seen; a hostile host
name cannot break the Prometheus exposition nor the pages."""

from __future__ import annotations

import re
from datetime import timedelta

from markupsafe import escape

from taskdesk.app import Taskdesk
from taskdesk.clock import utcnow
from taskdesk.models.runners import HOST_MEMORY_SECONDS, Finished, RunnerInfo
from taskdesk.models.tasks import NewTask, Outcome, Status
from taskdesk.text import visible
from tests.web.conftest import Browser

HOSTILE = 'evil"} 1\ntaskdesk_host_lost{host="x\\'
LEASE = 30.0  # the desk's lease (Settings' default)


def started(desk: Taskdesk, host: str, pid: int, *, ago: float = 0.0,
            queues: tuple[str, ...] | None = None) -> RunnerInfo:
    seen = utcnow() - timedelta(seconds=ago)
    info = RunnerInfo(runner_id=f"{host}:{pid}:abcd1234", hostname=host, pid=pid,
                      started_at=seen, last_seen_at=seen, lease_seconds=LEASE, queues=queues)
    desk.store.register_runner(info)
    return info


def completed_on(desk: Taskdesk, runner: RunnerInfo) -> None:
    [added] = desk.store.add([NewTask(code="job", action="tests.support.handlers:ok",
                                      max_attempts=3)])
    [task] = desk.store.claim(runner.runner_id, lease_seconds=LEASE)
    assert task.task_id == added.task_id
    desk.store.finish_many(runner.runner_id, [Finished(task, Outcome(
        status=Status.COMPLETE, response="ok", comment="done", duration=0.1))],
        retention_seconds=3600)


def a_lost_and_an_up_host(desk: Taskdesk) -> None:
    up = started(desk, "alpha", 1, queues=("mail",))
    completed_on(desk, up)
    started(desk, "beta", 2, ago=LEASE * 3)  # its runner died: unseen for three leases
    desk.store.recover(lease_seconds=LEASE)  # its row forgotten; the host remembered


def test_api_hosts_groups_runners_and_shows_a_lost_host(admin: Browser, desk: Taskdesk) -> None:
    a_lost_and_an_up_host(desk)

    hosts = {host["hostname"]: host for host in admin.get("/api/hosts").json()}

    assert hosts["alpha"]["state"] == "up"
    assert [r["pid"] for r in hosts["alpha"]["runners"]] == [1]
    assert hosts["alpha"]["runners"][0]["queues"] == ["mail"]
    assert hosts["alpha"]["completed"] == 1
    assert hosts["beta"]["state"] == "lost"
    assert hosts["beta"]["lost"] is True
    assert hosts["beta"]["runners"] == []
    assert hosts["beta"]["last_seen_seconds"] >= LEASE * 3 - 1
    assert admin.get("/api/dashboard").json()["hosts"][1]["hostname"] == "beta"


def test_the_dashboard_and_the_banner_show_hosts(admin: Browser, desk: Taskdesk) -> None:
    a_lost_and_an_up_host(desk)

    live = admin.get("/", headers={"HX-Request": "true"}).text
    assert 'data-host-state="lost"' in live
    assert 'data-host-state="up"' in live
    assert "no heartbeat since" in live
    banner = admin.get("/tasks/runners").text
    assert "pid 1 on alpha" in banner
    assert "lost-host" in banner
    assert "beta" in banner


def test_a_clean_stop_is_not_lost(admin: Browser, desk: Taskdesk) -> None:
    runner = started(desk, "gamma", 3)
    desk.store.unregister_runner(runner.runner_id)

    [host] = admin.get("/api/hosts").json()

    assert (host["state"], host["lost"]) == ("stopped", False)
    assert "lost-host" not in admin.get("/tasks/runners").text


def test_an_operator_forgets_a_lost_host(browsers: dict[str, Browser], desk: Taskdesk) -> None:
    a_lost_and_an_up_host(desk)
    assert browsers["viewer"].act("DELETE", "/api/hosts/beta").status_code == 403

    assert browsers["operator"].act("DELETE", "/api/hosts/beta").status_code == 200

    assert [h["hostname"] for h in browsers["admin"].get("/api/hosts").json()] == ["alpha"]
    assert browsers["operator"].act("DELETE", "/api/hosts/beta").status_code == 404
    audit = browsers["admin"].get("/api/audit").json()
    assert any(entry["action"] == "host.forget" and entry["target"] == "beta" for entry in audit)


def test_metrics_per_host(admin: Browser, desk: Taskdesk) -> None:
    a_lost_and_an_up_host(desk)

    text = admin.get("/metrics").text

    assert 'taskdesk_host_runners{host="alpha"} 1' in text
    assert 'taskdesk_host_runners{host="beta"} 0' in text
    assert 'taskdesk_host_tasks_total{host="alpha",status="complete"} 1' in text
    assert 'taskdesk_host_tasks_total{host="alpha",status="failed"} 0' in text
    assert 'taskdesk_host_lost{host="alpha"} 0' in text
    assert 'taskdesk_host_lost{host="beta"} 1' in text
    seen = re.search(r'taskdesk_host_last_seen_timestamp_seconds\{host="beta"\} ([0-9.]+)', text)
    assert seen is not None
    assert abs(float(seen.group(1)) - (utcnow().timestamp() - LEASE * 3)) < 10


SAMPLE = re.compile(r'^[a-z_]+(\{([a-z_]+="([^"\\\n]|\\[\\"n])*",?)*\})? -?[0-9.e+Inf]+$')


def test_a_hostile_host_name_cannot_break_the_exposition(admin: Browser,
                                                         desk: Taskdesk) -> None:
    runner = started(desk, HOSTILE, 4, ago=LEASE * 3)
    completed_on(desk, runner)
    desk.store.recover(lease_seconds=LEASE)

    text = admin.get("/metrics").text

    for line in text.splitlines():
        assert line.startswith("# ") or SAMPLE.match(line), line
    escaped = HOSTILE.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    assert f'taskdesk_host_lost{{host="{escaped}"}} 1' in text
    lines = text.splitlines()
    assert sum(line.startswith("taskdesk_host_lost{") for line in lines) == 1  # none its own
    page = admin.get("/", headers={"HX-Request": "true"}).text
    assert str(escape(visible(HOSTILE))) in page  # printed literally: the newline visible
    assert HOSTILE not in page


def test_a_host_unseen_for_a_day_is_no_longer_shown(admin: Browser, desk: Taskdesk) -> None:
    """Even before a recovery pass forgets it (none runs where no runner is left)."""
    then = utcnow() - timedelta(seconds=HOST_MEMORY_SECONDS + 60)
    clock = desk.store.clock
    desk.store.clock = lambda: then
    try:
        old = started(desk, "old", 5, ago=HOST_MEMORY_SECONDS + 60)
        desk.store.unregister_runner(old.runner_id)  # stopped a day ago
    finally:
        desk.store.clock = clock
    started(desk, "new", 6)

    assert [h["hostname"] for h in admin.get("/api/hosts").json()] == ["new"]
    assert [h.hostname for h in desk.store.hosts()] == ["new", "old"]  # still recorded
