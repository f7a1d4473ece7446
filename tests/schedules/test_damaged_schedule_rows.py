"""A schedule row changed by hand in the database (a cron that does not parse, args that are
not JSON) is listed, and skipped when due with one log line, while the others fire: one bad
row breaks neither a listing nor a runner's firings. SQLite and PostgreSQL (the memory store
holds parsed schedules only)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import update

from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from taskdesk.config import Settings
from taskdesk.models.error_lines import ErrorLineFilter
from taskdesk.store import SqlStore, Store
from taskdesk.store.sql.schema import schedule as schedule_table
from tests.support import FakeClock

ACTION = "tests.support.handlers:noop"


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


def _damage(store: Store, code: str, **values: object) -> None:
    assert isinstance(store, SqlStore)
    with store.engine.begin() as conn:
        conn.execute(update(schedule_table).where(schedule_table.c.code == code).values(**values))


@pytest.fixture
def desk(settings: Settings, store: Store) -> Taskdesk:
    desk = Taskdesk(settings, store=store)
    desk.schedules.add("good", ACTION, every="minute")
    desk.schedules.add("bad_cron", ACTION, every="minute")
    desk.schedules.add("bad_args", ACTION, {"n": 1}, every="minute")
    _damage(store, "bad_cron", cycle=None, cron="not a cron")
    _damage(store, "bad_args", args="{not json\x07")
    return desk


def test_damaged_rows_are_listed_on_every_face(desk: Taskdesk) -> None:
    listed = {view["code"]: view for view in desk.schedules.list_schedules()}

    assert set(listed) == {"good", "bad_cron", "bad_args"}
    assert listed["bad_args"]["args"] == {"unreadable_args": "{not json\x07"}
    rows = Admin(desk).schedule_changes.rows()
    assert [row["schedule"]["code"] for row in rows] == ["bad_args", "bad_cron", "good"]
    assert len(rows[1]["upcoming"]) == 1  # only its stored next firing: its rule gives none


def test_a_damaged_rule_is_skipped_once_and_the_others_fire(
        desk: Taskdesk, clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    clock.advance(timedelta(minutes=2).total_seconds())

    with caplog.at_level(logging.WARNING, logger="taskdesk.schedules.firing"):
        firings = desk.schedules.fire_due()
        again = desk.schedules.fire_due()

    claimed = {firing.schedule.code for firing in firings if firing.claimed}
    assert "good" in claimed
    assert "bad_cron" not in claimed
    broken = [r.getMessage() for r in caplog.records if "schedule.broken" in r.getMessage()]
    assert len(broken) == 1
    assert "code=bad_cron" in broken[0]
    assert "bad_cron" not in {f.schedule.code for f in again if f.claimed}
    assert desk.tasks.list_tasks(code="good", code_exact=True)


def test_a_runner_writes_the_broken_firing_to_the_error_log(desk: Taskdesk,
                                                            clock: FakeClock) -> None:
    clock.advance(timedelta(minutes=2).total_seconds())

    desk.runner().drain()

    lines = [line.message for line in desk.store.error_lines.page(ErrorLineFilter(), 50)]
    assert [line for line in lines if "schedule.broken code=bad_cron" in line]
    assert desk.tasks.list_tasks(code="good", code_exact=True)
