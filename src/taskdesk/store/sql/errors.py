"""Database driver errors become taskdesk errors with one clear message, in one place."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import URL
from sqlalchemy import exc as sa_exc

from taskdesk.errors import SchemaOutOfDate, StoreError, StoreUnavailable


def describe(url: URL) -> str:
    """The database's address without its password, for messages."""
    return url.render_as_string(hide_password=True)


@contextmanager
def translate_errors(url: URL) -> Iterator[None]:
    try:
        yield
    except sa_exc.DBAPIError as error:
        raise _translate(url, error) from error


def _translate(url: URL, error: sa_exc.DBAPIError) -> StoreError:
    detail = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
    if _is_missing_table(error, detail):
        return SchemaOutOfDate(
            f"the database {describe(url)} has no taskdesk schema ({detail}): run `taskdesk init`"
        )
    if isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError):
        return StoreUnavailable(f"cannot use the database {describe(url)}: {detail}")
    return StoreError(f"the database {describe(url)} refused the operation: {detail}")


def _is_missing_table(error: sa_exc.DBAPIError, detail: str) -> bool:
    if "no such table" in detail:  # SQLite
        return True
    return isinstance(error, sa_exc.ProgrammingError) and detail.startswith("relation ")
