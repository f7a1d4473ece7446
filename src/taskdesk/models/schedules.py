"""The schedule records the store keeps: frozen values, built from a row in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from taskdesk.models.schedule_rules import Missed, Rule
from taskdesk.models.tasks import JsonObject


@dataclass(frozen=True, kw_only=True)
class NewSchedule:
    """A schedule to store; `next_run_at` is its first firing."""

    code: str
    action: str
    args: JsonObject = field(default_factory=dict)
    rule: Rule
    missed: Missed = Missed.RUN_ONCE
    next_run_at: datetime


@dataclass(frozen=True, kw_only=True)
class Schedule:
    """A stored schedule; `next_run_at` is the firing that runners will claim next."""

    schedule_id: int
    code: str
    action: str
    args: JsonObject
    rule: Rule
    missed: Missed
    enabled: bool
    next_run_at: datetime
    last_run_at: datetime | None
    date_added: datetime
    date_modified: datetime


@dataclass(frozen=True)
class Firing:
    """One attempt to fire: `claimed` when this caller won the firing, `task_id` of the task
    it added (None when it lost or skipped a missed firing; a firing this runner cannot add
    is not claimed)."""

    schedule: Schedule
    claimed: bool
    task_id: int | None = None
