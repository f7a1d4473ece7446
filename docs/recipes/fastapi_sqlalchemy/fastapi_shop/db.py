"""The shop's database: one SQLAlchemy URL for the shop and for taskdesk.

SQLite: `sqlite:///shop.db` (the default, a file in the working folder). PostgreSQL:
`postgresql+psycopg://user:password@host/shop` — the `+psycopg` driver (psycopg 3) is the
one taskdesk uses, so both sides speak to the same database with the same driver.
"""

from __future__ import annotations

import os

from sqlalchemy import create_engine
from sqlalchemy.orm import DeclarativeBase, sessionmaker

DEFAULT_URL = "sqlite:///shop.db"

Session = sessionmaker()


class Base(DeclarativeBase):
    pass


def database_url() -> str:
    return os.environ.get("SHOP_DATABASE_URL", DEFAULT_URL)


def connect(url: str) -> None:
    """Point the shop's sessions at `url` (done once at import; tests point it elsewhere)."""
    Session.configure(bind=create_engine(url))


connect(database_url())
