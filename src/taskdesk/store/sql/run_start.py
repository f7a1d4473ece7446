"""Run Tasks' start claim over SQL: one upsert that takes the row only when no one holds it,
so that two admin processes pressing at once, on SQLite or PostgreSQL, get one yes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from taskdesk.store.sql.connections import SqlVerbs
from taskdesk.store.sql.schema import run_start


class SqlRunStartVerbs(SqlVerbs):
    def claim_start(self, name: str, holder: str, *, seconds: float) -> bool:
        now = self.db.clock()
        values = {"name": name, "holder": holder, "expires_at": now + timedelta(seconds=seconds)}
        dialect = postgresql if self.db.postgres else sqlite
        statement = dialect.insert(run_start).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[run_start.c.name],
            set_={"holder": statement.excluded.holder,
                  "expires_at": statement.excluded.expires_at},
            where=run_start.c.expires_at <= now,
        ).returning(run_start.c.holder)
        with self.db.write() as conn:
            return conn.execute(statement).first() is not None

    def release_start(self, name: str, holder: str) -> None:
        with self.db.write() as conn:
            conn.execute(delete(run_start).where(run_start.c.name == name,
                                                 run_start.c.holder == holder))
