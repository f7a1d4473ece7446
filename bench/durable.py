"""What the machine allows without taskdesk: single-row INSERT + COMMIT in a loop (each commit
waits for the disk, as an add() does), and a claim loop (one UPDATE … RETURNING of the oldest
pending row per commit, as a runner's claim does), on the raw drivers. Both stop after
`seconds` or `rows`, whichever comes first, and check that their rows are there."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import make_url

from bench.databases import fresh_database
from bench.measure import Rate

LOOP_SECONDS = 2.0  # each raw loop stops after this long …
CREATE = ("CREATE TABLE scratch (id {key}, status VARCHAR(16) NOT NULL, payload TEXT NOT NULL)",
          "CREATE INDEX ix_scratch_claim ON scratch (status, id)")
INSERT = "INSERT INTO scratch (status, payload) VALUES ('pending', '{}')"
CLAIM = ("UPDATE scratch SET status = 'done' WHERE id = (SELECT id FROM scratch WHERE "
         "status = 'pending' ORDER BY id LIMIT 1{lock}) RETURNING id")
KEYS = {"sqlite": "INTEGER PRIMARY KEY", "postgres": "BIGSERIAL PRIMARY KEY"}
LOCKS = {"sqlite": "", "postgres": " FOR UPDATE SKIP LOCKED"}


@dataclass(frozen=True)
class Raw:
    """The raw loops of one backend."""

    inserts: Rate
    claims: Rate


class Connection:
    """The least both drivers share: run a statement, commit."""

    def __init__(self, execute: Callable[[str], Any], commit: Callable[[], None]) -> None:
        self.execute = execute
        self.commit = commit

    def count(self, status: str) -> int:
        row = self.execute(f"SELECT count(*) FROM scratch WHERE status = '{status}'").fetchone()
        return int(row[0])


def raw_rates(backend: str, folder: Path, rows: int, seconds: float = LOOP_SECONDS) -> Raw:
    """The durable insert loop, then the claim loop over the rows it inserted."""
    with _connected(backend, folder) as conn:
        for statement in CREATE:
            conn.execute(statement.format(key=KEYS[backend]))
        conn.commit()
        inserts = _loop(conn, INSERT, rows, seconds, fetch=False)
        inserted = conn.count("pending")
        claims = _loop(conn, CLAIM.format(lock=LOCKS[backend]), inserted, seconds, fetch=True)
        claimed = conn.count("done")
    return Raw(_checked(inserts, inserted, f"{backend}: raw inserts", "rows"),
               _checked(claims, claimed, f"{backend}: raw claims", "claimed rows"))


def _loop(conn: Connection, statement: str, rows: int, seconds: float, *, fetch: bool) -> Rate:
    """One statement + COMMIT per row, until `rows` or `seconds`; `fetch` reads what it
    returned before the commit (a claim's id)."""
    done = 0
    started = time.perf_counter()
    deadline = started + seconds
    while done < rows and time.perf_counter() < deadline:
        cursor = conn.execute(statement)
        if fetch:
            cursor.fetchall()
        conn.commit()
        done += 1
    return Rate(done, time.perf_counter() - started)


def _checked(rate: Rate, found: int, what: str, noun: str) -> Rate:
    if rate.count > 0 and found == rate.count:
        return rate
    problem = f"{what}: {rate.count} committed, but the table holds {found} {noun}"
    return Rate(rate.count, rate.seconds, (problem,))


@contextmanager
def _connected(backend: str, folder: Path) -> Iterator[Connection]:
    if backend == "sqlite":
        with _sqlite(folder / "raw.db") as conn:
            yield conn
        return
    with fresh_database(backend, folder) as url, _postgres(url) as conn:
        yield conn


@contextmanager
def _sqlite(path: Path) -> Iterator[Connection]:
    """WAL with synchronous=FULL: every commit syncs the log, as taskdesk's adds do."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")

        def execute(statement: str) -> Any:
            if not db.in_transaction:
                db.execute("BEGIN IMMEDIATE")
            return db.execute(statement)

        def commit() -> None:
            db.execute("COMMIT")

        yield Connection(execute, commit)


@contextmanager
def _postgres(url: str) -> Iterator[Connection]:
    """synchronous_commit=on: every commit waits for its WAL flush."""
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as db:
        db.execute("SET synchronous_commit = on")
        db.commit()
        yield Connection(db.execute, db.commit)
