"""SqlScheduleStore: the schedule verbs over SQLAlchemy Core, for SQLite and PostgreSQL.

It is given its store (for its connections and its add), so `store.atomic()` covers it. The firing
claim is one conditional UPDATE whose row count decides who adds the task: on PostgreSQL a
concurrent claimer waits on the row lock, then finds next_run_at moved and updates nothing;
SQLite's writers are serial."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import RowMapping, delete, insert, select, true, update
from sqlalchemy.exc import IntegrityError

from taskdesk.errors import ScheduleExists
from taskdesk.models.schedule_rules import Cycle, Missed, Rule
from taskdesk.models.schedules import Firing, NewSchedule, Schedule
from taskdesk.models.tasks import NewTask
from taskdesk.store.sql.rows import args_of
from taskdesk.store.sql.schema import schedule as table

if TYPE_CHECKING:
    from taskdesk.store.sql.store import SqlStore


class SqlScheduleStore:
    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self.db = store.db

    def add(self, new: NewSchedule) -> Schedule:
        now = self.db.clock()
        with self.db.write() as conn:
            try:
                with conn.begin_nested():  # a concurrent add may win the unique code
                    row = conn.execute(insert(table).values(_row(new, now))
                                       .returning(*table.c)).one()
            except IntegrityError:
                raise ScheduleExists(f"a schedule with code {new.code!r} exists already"
                                     ) from None
        return schedule_from_row(row._mapping)

    def put(self, new: NewSchedule) -> Schedule:
        try:
            return self.add(new)
        except ScheduleExists:
            pass
        now = self.db.clock()
        with self.db.write() as conn:
            found = conn.execute(select(table).where(table.c.code == new.code)).one()
            values = _row(new, now)
            del values["date_added"], values["enabled"]
            if schedule_from_row(found._mapping).rule == new.rule:
                del values["next_run_at"]
            row = conn.execute(update(table).where(table.c.code == new.code).values(values)
                               .returning(*table.c)).one()
        return schedule_from_row(row._mapping)

    def get(self, code: str) -> Schedule | None:
        with self.db.read() as conn:
            row = conn.execute(select(table).where(table.c.code == code)).first()
        return None if row is None else schedule_from_row(row._mapping)

    def all(self) -> list[Schedule]:
        with self.db.read() as conn:
            rows = conn.execute(select(table).order_by(table.c.code)).all()
        return [schedule_from_row(row._mapping) for row in rows]

    def delete(self, code: str) -> bool:
        with self.db.write() as conn:
            return conn.execute(delete(table).where(table.c.code == code)).rowcount > 0

    def set_enabled(self, code: str, enabled: bool) -> Schedule | None:
        with self.db.write() as conn:
            row = conn.execute(update(table).where(table.c.code == code)
                               .values(enabled=enabled, date_modified=self.db.clock())
                               .returning(*table.c)).first()
        return None if row is None else schedule_from_row(row._mapping)

    def due(self, now: datetime) -> list[Schedule]:
        query = (select(table).where(table.c.enabled == true(), table.c.next_run_at <= now)
                 .order_by(table.c.next_run_at, table.c.schedule_id))
        with self.db.read() as conn:
            return [schedule_from_row(row._mapping) for row in conn.execute(query)]

    def fire(self, schedule: Schedule, next_run_at: datetime,
             task: NewTask | None) -> Firing:
        now = self.db.clock()
        claim = (update(table)
                 .where(table.c.schedule_id == schedule.schedule_id, table.c.enabled == true(),
                        table.c.next_run_at == schedule.next_run_at)
                 .values(next_run_at=next_run_at, last_run_at=now, date_modified=now))
        with self.store.atomic() as bound, bound.db.write() as conn:
            if conn.execute(claim).rowcount != 1:
                return Firing(schedule, claimed=False)
            added = bound.add([task], replace=True) if task is not None else []
        return Firing(schedule, claimed=True, task_id=added[0].task_id if added else None)


def _row(new: NewSchedule, now: datetime) -> dict[str, Any]:
    return {"code": new.code, "action": new.action, "args": json.dumps(new.args),
            "cron": new.rule.cron, "cycle": new.rule.every.value if new.rule.every else None,
            "cycle_interval": new.rule.interval, "missed": new.missed.value, "enabled": True,
            "next_run_at": new.next_run_at, "date_added": now, "date_modified": now}


def schedule_from_row(row: RowMapping) -> Schedule:
    """One stored row as a Schedule. Its cron and args are taken as stored, so that a row
    changed by hand into nonsense is still listed (its args kept for the eye as a task's are,
    see args_of) and fails alone when it fires (schedules/firing.py)."""
    cycle = row["cycle"]
    rule = Rule(cron=row["cron"], every=Cycle(cycle) if cycle else None,
                interval=row["cycle_interval"])
    return Schedule(schedule_id=row["schedule_id"], code=row["code"], action=row["action"],
                    args=args_of(row["args"]), rule=rule, missed=Missed(row["missed"]),
                    enabled=bool(row["enabled"]), next_run_at=row["next_run_at"],
                    last_run_at=row["last_run_at"], date_added=row["date_added"],
                    date_modified=row["date_modified"])
