"""The runner's hot statements, run on the driver's own cursor.

A SQLAlchemy statement is compiled once per dialect (the story's module, claims.py or
finish.py, stays the one source of the SQL); per call only the values are converted, by the
same type processors SQLAlchemy would use, and the driver runs it inside the SQLAlchemy
transaction the store opened. This skips
SQLAlchemy's per-execution machinery (parameter construction, events, result wrapping), which a
profile showed to cost more than SQLite's own work for each claim and finish.

Driver errors are raised as SQLAlchemy's, the connection invalidated when the driver says it is
gone, so that the store translates them and the runner reconnects exactly as on every other path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any, cast

from sqlalchemy import Connection, Engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement

Processor = Callable[[Any], Any]
Row = dict[str, Any]


class RawStatement:
    """One statement compiled for one dialect, with its bind and result processors."""

    def __init__(self, statement: ClauseElement, dialect: Dialect,
                 returning: Iterable[ColumnElement[Any]] = ()) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        self.sql = compiled.string
        self._defaults = dict(compiled.params)  # literals bound when the statement was built
        self._order = compiled.positiontup  # None for named paramstyles (psycopg)
        self._binds: dict[str, Processor] = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self._binds[name] = processor
        columns = list(returning)
        self.names = [str(column.key) for column in columns]
        self._results: list[tuple[int, Processor]] = []
        for position, column in enumerate(columns):
            result = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if result is not None:
                self._results.append((position, result))

    def params(self, values: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        merged = {**self._defaults, **values}
        for name, processor in self._binds.items():
            if name in merged:
                merged[name] = processor(merged[name])
        if self._order is None:
            return merged
        return tuple(merged[name] for name in self._order)

    def rows(self, fetched: Sequence[Sequence[Any]]) -> list[Row]:
        """The returned rows as name → value, converted as SQLAlchemy would."""
        converted = []
        for row in fetched:
            values = list(row)
            for position, processor in self._results:
                values[position] = processor(values[position])
            converted.append(dict(zip(self.names, values, strict=True)))
        return converted


class RawStatements:
    """Statements compiled lazily per dialect: each store compiles each statement once."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._compiled: dict[int, RawStatement] = {}
        self._keep: list[ClauseElement] = []  # keeps ids unique while compiled ones live

    def __call__(self, statement: ClauseElement,
                 returning: Iterable[ColumnElement[Any]] = ()) -> RawStatement:
        found = self._compiled.get(id(statement))
        if found is None:
            found = RawStatement(statement, self.dialect, returning)
            self._compiled[id(statement)] = found
            self._keep.append(statement)
        return found


@contextmanager
def driver_errors(conn: Connection, cursor: Any = None) -> Iterator[None]:
    """Driver errors in this block come out as SQLAlchemy's, as if SQLAlchemy had run the
    statement (errors.py translates those). A connection the database closed is
    invalidated, with the pool's older ones, as SQLAlchemy does (a restart or a purge ends
    them all), and the error says so: the runner then retries on a new connection."""
    with pooled_driver_errors(conn.engine, conn.connection, cursor):
        yield


@contextmanager
def pooled_driver_errors(engine: Engine, pooled: PoolProxiedConnection,
                         cursor: Any = None) -> Iterator[None]:
    """driver_errors for a connection taken from the pool without a SQLAlchemy Connection
    (Engine.raw_connection)."""
    dialect = engine.dialect
    try:
        yield
    except dialect.loaded_dbapi.Error as error:
        gone = dialect.is_disconnect(error, pooled.dbapi_connection, cursor)
        if gone:
            pooled.invalidate(error)
            engine.dispose(close=False)
        raise sa_exc.DBAPIError.instance(
            None, None, error, dialect.loaded_dbapi.Error, connection_invalidated=gone,
            dialect=dialect) from error


@contextmanager
def driver_cursor(conn: Connection) -> Iterator[Any]:
    """The DBAPI cursor of this SQLAlchemy connection (inside its transaction), its errors
    as in driver_errors."""
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        with driver_errors(conn, cursor):
            yield cursor
    finally:
        with suppress(conn.dialect.loaded_dbapi.Error):  # a cursor of a connection gone
            cursor.close()
