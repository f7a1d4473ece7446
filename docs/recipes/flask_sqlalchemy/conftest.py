"""The shop's fixtures: each test runs twice, with an app on its own SQLite file and on a
scratch PostgreSQL database (each shared by the shop and taskdesk), with the tables made and
a product in stock.

PostgreSQL is the server at SHOP_TEST_POSTGRES_URL (default: the local one, user postgres);
where none answers, those runs are skipped, loudly, unless TASKDESK_REQUIRE_POSTGRES=1 (as
taskdesk's CI sets), which makes that a failure."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from flask_shop import create_app, init_db
from flask_shop.extensions import db, desk


@pytest.fixture(autouse=True)
def _no_taskdesk_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """TASKDESK_* variables of whoever runs the tests (they win over the app's settings in
    taskdesk's commands) must not point the tests at their database."""
    for name in list(os.environ):
        if name.startswith("TASKDESK_"):
            monkeypatch.delenv(name)


POSTGRES_SERVER = os.environ.get("SHOP_TEST_POSTGRES_URL",
                                 "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REQUIRE_POSTGRES = os.environ.get("TASKDESK_REQUIRE_POSTGRES", "") not in ("", "0")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database: a SQLite file, or a PostgreSQL database made for the test and
    dropped after it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shop.db'}"
        return
    server = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    name = f"shop_test_{uuid.uuid4().hex[:12]}"
    try:
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        server.dispose()
        reason = f"no PostgreSQL at {POSTGRES_SERVER}: {str(error).splitlines()[0]}"
        if REQUIRE_POSTGRES:
            pytest.fail(f"{reason} (TASKDESK_REQUIRE_POSTGRES is set)", pytrace=False)
        pytest.skip(f"SKIPPING THE SHOP ON POSTGRESQL: {reason}")
    try:
        yield make_url(POSTGRES_SERVER).set(database=name).render_as_string(
            hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app({"TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": database_url,
                      "TASKDESK_HOME": str(tmp_path / "taskdesk")})
    with app.app_context():
        init_db()
    yield app
    desk.close()  # the next test's app gives the desk its own database
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
