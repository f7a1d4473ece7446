"""SqlPackageStore: the package verbs over SQLAlchemy Core, for SQLite and PostgreSQL.

Built on its store's connections, so `store.atomic()` covers it (an upgrade replaces the row
in the transaction of its upgrade() hooks). `put` is a delete and an insert in one transaction:
the same statements on both dialects, and no reader between them sees the row missing (the
transaction commits whole)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import RowMapping, delete, insert, select

from taskdesk.models.extensions import StoredPackage
from taskdesk.store.sql.schema import package as table

if TYPE_CHECKING:
    from taskdesk.store.sql.connections import SqlConnections

_STAMP = (table.c.code, table.c.version, table.c.sha256, table.c.size, table.c.date_added)


class SqlPackageStore:
    def __init__(self, db: SqlConnections) -> None:
        self.db = db

    def put(self, code: str, version: str, sha256: str, data: bytes) -> StoredPackage:
        stamp = StoredPackage(code=code, version=version, sha256=sha256, size=len(data),
                              date_added=self.db.clock())
        with self.db.write() as conn:
            conn.execute(delete(table).where(table.c.code == code))
            conn.execute(insert(table).values(
                code=code, version=version, sha256=sha256, size=stamp.size, data=data,
                date_added=stamp.date_added))
        return stamp

    def stamp(self, code: str) -> StoredPackage | None:
        with self.db.read() as conn:
            row = conn.execute(select(*_STAMP).where(table.c.code == code)).first()
        return None if row is None else _stamp(row._mapping)

    def stamps(self) -> list[StoredPackage]:
        with self.db.read() as conn:
            rows = conn.execute(select(*_STAMP).order_by(table.c.code)).all()
        return [_stamp(row._mapping) for row in rows]

    def data(self, code: str) -> tuple[StoredPackage, bytes] | None:
        with self.db.read() as conn:
            row = conn.execute(select(*_STAMP, table.c.data)
                               .where(table.c.code == code)).first()
        return None if row is None else (_stamp(row._mapping), bytes(row.data))

    def delete(self, code: str) -> bool:
        with self.db.write() as conn:
            return conn.execute(delete(table).where(table.c.code == code)).rowcount > 0


def _stamp(row: RowMapping) -> StoredPackage:
    return StoredPackage(code=row["code"], version=row["version"], sha256=row["sha256"],
                         size=row["size"], date_added=row["date_added"])
