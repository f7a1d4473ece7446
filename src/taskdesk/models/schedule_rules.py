"""Rule: when a schedule fires — a 5-field cron expression (croniter, in UTC) or a cycle of
N minutes, hours, days, weeks or months. Pure values, no I/O.

A cycle's first firing is the start of the next whole unit (the next minute, hour, midnight,
Monday midnight, first of the month); later firings are N units apart. A cron expression's
firings are croniter's. Missed firings (see `next_after`): when the firing after a due one is
itself already past, the schedule was down for a whole period and catches up to the first
firing still to come.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from croniter import CroniterError, croniter

from taskdesk.errors import BadSchedule

MAX_INTERVAL = 1000
MAX_CRON_LENGTH = 255
CRON_FIELDS = 5


class Cycle(StrEnum):
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class Missed(StrEnum):
    """What a firing missed for a whole period does: `run-once` adds one task on return,
    `skip` adds none; both then wait for the next firing still to come."""

    RUN_ONCE = "run-once"
    SKIP = "skip"

    @classmethod
    def parse(cls, value: str) -> Missed:
        try:
            return cls(value)
        except ValueError:
            raise BadSchedule(f"bad missed-firing policy {value!r}: use run-once or skip"
                              ) from None


_STEPS = {Cycle.MINUTE: timedelta(minutes=1), Cycle.HOUR: timedelta(hours=1),
          Cycle.DAY: timedelta(days=1), Cycle.WEEK: timedelta(weeks=1)}


@dataclass(frozen=True)
class Rule:
    """Either `cron`, or `every` with `interval` units between firings."""

    cron: str | None = None
    every: Cycle | None = None
    interval: int = 1

    @classmethod
    def parse(cls, *, cron: str | None = None, every: str | None = None,
              interval: int = 1) -> Rule:
        """A checked rule, or BadSchedule saying what was wrong."""
        if (cron is None) == (every is None):
            raise BadSchedule("a schedule needs either a cron expression or a cycle, not "
                              f"{'both' if cron is not None else 'neither'}")
        if isinstance(interval, bool) or not isinstance(interval, int) or not (
                1 <= interval <= MAX_INTERVAL):
            raise BadSchedule(f"the interval must be a whole number from 1 to {MAX_INTERVAL},"
                              f" not {interval!r}")
        if cron is not None:
            if interval != 1:
                raise BadSchedule("an interval goes with a cycle, not a cron expression")
            return cls(cron=_checked_cron(cron))
        try:
            return cls(every=Cycle(str(every)), interval=interval)
        except ValueError:
            raise BadSchedule(f"unknown cycle {every!r}: use minute, hour, day, week or "
                              "month") from None

    def describe(self) -> str:
        if self.cron is not None:
            return f"cron {self.cron}"
        assert self.every is not None
        unit = self.every.value
        return f"every {unit}" if self.interval == 1 else f"every {self.interval} {unit}s"

    def first(self, now: datetime) -> datetime:
        """A new schedule's first firing, after `now`."""
        if self.cron is not None:
            return _cron_after(self.cron, now)
        assert self.every is not None
        start = _unit_start(self.every, now)
        return start + _months_or_step(self.every, 1, start)

    def after(self, due: datetime) -> datetime:
        """The firing that follows the firing at `due`."""
        if self.cron is not None:
            return _cron_after(self.cron, due)
        assert self.every is not None
        return due + _months_or_step(self.every, self.interval, due)

    def next_after(self, due: datetime, now: datetime) -> tuple[datetime, bool]:
        """The firing after `due`, and whether a whole period was missed: then the first
        firing after `now` in the same series."""
        following = self.after(due)
        if following > now:
            return following, False
        if self.cron is not None:
            return _cron_after(self.cron, now), True
        assert self.every is not None
        if self.every in _STEPS:
            step = _STEPS[self.every] * self.interval
            return due + step * ((now - due) // step + 1), True
        while following <= now:
            following = self.after(following)
        return following, True


def _checked_cron(cron: object) -> str:
    if not isinstance(cron, str) or len(cron) > MAX_CRON_LENGTH or "\x00" in cron:
        raise BadSchedule(f"bad cron expression {cron!r}: {CRON_FIELDS} fields, as in crontab")
    expression = " ".join(cron.split())
    if len(expression.split()) != CRON_FIELDS or not croniter.is_valid(expression):
        raise BadSchedule(f"bad cron expression {cron!r}: {CRON_FIELDS} fields (minute hour "
                          "day-of-month month day-of-week), as in crontab")
    try:
        _cron_after(expression, datetime.now(UTC))
    except (CroniterError, ValueError, OverflowError):
        raise BadSchedule(f"the cron expression {cron!r} never fires") from None
    return expression


def _cron_after(cron: str, moment: datetime) -> datetime:
    following: datetime = croniter(cron, moment.astimezone(UTC)).get_next(datetime)
    return following.astimezone(UTC)


def _unit_start(cycle: Cycle, moment: datetime) -> datetime:
    minute = moment.astimezone(UTC).replace(second=0, microsecond=0)
    if cycle is Cycle.MINUTE:
        return minute
    hour = minute.replace(minute=0)
    if cycle is Cycle.HOUR:
        return hour
    day = hour.replace(hour=0)
    if cycle is Cycle.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1) if cycle is Cycle.MONTH else day


def _months_or_step(cycle: Cycle, count: int, start: datetime) -> timedelta:
    """The time from `start` to `count` units later (months keep the day, clamped)."""
    if cycle in _STEPS:
        return _STEPS[cycle] * count
    month_index = start.month - 1 + count
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, _days_in(year, month))
    return start.replace(year=year, month=month, day=day) - start


def _days_in(year: int, month: int) -> int:
    following = datetime(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day
