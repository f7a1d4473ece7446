"""Django's database as taskdesk sees it: its SQLAlchemy URL, and the connection whose
transaction an enqueue joins.

taskdesk opens its own engine on the same database (a worker needs no Django connection);
an enqueue inside `transaction.atomic()` writes through Django's own DBAPI connection, so the
task is part of that transaction. Outside atomic() Django runs in autocommit, and taskdesk
adds through its own connection: the task is committed at once, as Django's own save() is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL

from taskdesk.errors import ConfigError

#: Connection options of Django's PostgreSQL settings that libpq understands as they are.
LIBPQ_OPTIONS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout",
                 "application_name", "options", "target_session_attrs", "service")


def database_url(alias: str) -> str:
    """The SQLAlchemy URL of Django's database `alias` (SQLite or PostgreSQL with psycopg 3)."""
    from django.db import connections

    try:
        config: dict[str, Any] = connections.settings[alias]
    except KeyError:
        raise ConfigError(f"Django has no database {alias!r} (settings.DATABASES)") from None
    engine = str(config.get("ENGINE", ""))
    if engine.endswith("sqlite3"):
        return _sqlite_url(alias, str(config.get("NAME") or ""))
    if engine.endswith("postgresql"):
        return _postgres_url(config)
    raise ConfigError(f"taskdesk keeps its tasks in SQLite or PostgreSQL; Django's database "
                      f"{alias!r} uses {engine or 'no engine'}")


def _sqlite_url(alias: str, name: str) -> str:
    if not name or name == ":memory:" or name.startswith("file:"):
        raise ConfigError(f"Django's database {alias!r} is not a SQLite file ({name!r}): "
                          "taskdesk's workers must open the same file")
    return f"sqlite:///{Path(name).resolve()}"


def _postgres_url(config: dict[str, Any]) -> str:
    options = config.get("OPTIONS") or {}
    query = {key: str(options[key]) for key in LIBPQ_OPTIONS if key in options}
    url = URL.create("postgresql+psycopg", username=config.get("USER") or None,
                     password=config.get("PASSWORD") or None,
                     host=config.get("HOST") or None,
                     port=int(config["PORT"]) if config.get("PORT") else None,
                     database=config.get("NAME") or None, query=query)
    return url.render_as_string(hide_password=False)


def joined_connection(alias: str) -> object | None:
    """Django's DBAPI connection when an atomic() block is open on `alias` (the enqueue is
    then written in its transaction); None in autocommit."""
    from django.db import connections

    connection = connections[alias]
    if not connection.in_atomic_block:
        return None
    connection.ensure_connection()
    dbapi: object = connection.connection
    return dbapi
