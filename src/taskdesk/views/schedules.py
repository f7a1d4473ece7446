"""The shape of a recurring schedule."""

from __future__ import annotations

from typing_extensions import TypedDict

from taskdesk.clock import isoformat
from taskdesk.models.schedules import Schedule
from taskdesk.models.tasks import JsonObject


class ScheduleView(TypedDict):
    schedule_id: int
    code: str
    action: str
    args: JsonObject
    cron: str | None
    every: str | None  # the cycle: minute, hour, day, week, month
    interval: int
    rule: str  # "cron */5 * * * *", "every minute", "every 2 hours"
    missed: str  # run-once or skip
    enabled: bool
    next_run_at: str | None
    last_run_at: str | None
    date_added: str | None
    date_modified: str | None


def schedule_view(found: Schedule) -> ScheduleView:
    rule = found.rule
    return ScheduleView(
        schedule_id=found.schedule_id, code=found.code, action=found.action, args=found.args,
        cron=rule.cron, every=rule.every.value if rule.every else None, interval=rule.interval,
        rule=rule.describe(), missed=found.missed.value, enabled=found.enabled,
        next_run_at=isoformat(found.next_run_at),
        last_run_at=isoformat(found.last_run_at),
        date_added=isoformat(found.date_added), date_modified=isoformat(found.date_modified))
