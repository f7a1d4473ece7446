"""This machine's durable single-row insert rate: the ceiling for `add()` one by one.

A loop of one INSERT and one COMMIT per row, on the driver alone (no taskdesk, no SQLAlchemy),
into the `task` table of a fresh migrated database — its indexes are part of what a commit
writes. Durable as an add is: SQLite in WAL with synchronous=FULL; PostgreSQL with the server's
synchronous_commit (on by default)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import psycopg
from sqlalchemy import make_url

from bench.measure import fresh_desk

ROWS = 1000
_INSERT = ("INSERT INTO task (code, action, args, status, priority, attempts, max_attempts, "
           "run_at, date_added, date_modified, delayed, queue) VALUES ({marks}, 'pending', 0, "
           "0, 3, {time}, {time}, {time}, false, 'default')")


def raw_insert_rate(backend: str, folder: Path, rows: int = ROWS) -> float:
    """Rows per second of INSERT + COMMIT, one row per transaction."""
    with fresh_desk(backend, folder) as desk:
        url = make_url(str(desk.settings.database_url))
        desk.close()
        if backend == "sqlite":
            return _sqlite(str(url.database), rows)
        return _postgres(url.set(drivername="postgresql").render_as_string(False), rows)


def _sqlite(path: str, rows: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        insert = _INSERT.format(marks="?, ?, ?", time="'2030-01-01 00:00:00.000000'")
        started = time.perf_counter()
        for n in range(rows):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(insert, (f"raw_{n}", "bench.handlers:noop", "{}"))
            conn.execute("COMMIT")
        return rows / (time.perf_counter() - started)
    finally:
        conn.close()


def _postgres(conninfo: str, rows: int) -> float:
    with psycopg.connect(conninfo) as conn:
        insert = _INSERT.format(marks="%s, %s, %s", time="now()")
        started = time.perf_counter()
        for n in range(rows):
            conn.execute(insert, (f"raw_{n}", "bench.handlers:noop", "{}"))
            conn.commit()
        return rows / (time.perf_counter() - started)
