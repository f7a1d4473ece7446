"""The shop's fixtures: each test gets an app on its own SQLite file, shared by the shop and
taskdesk, with the tables made and a product in stock."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_shop import create_app, init_db
from flask_shop.extensions import db, desk


@pytest.fixture(autouse=True)
def _no_taskdesk_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """TASKDESK_* variables of whoever runs the tests (they win over the app's settings in
    taskdesk's commands) must not point the tests at their database."""
    for name in list(os.environ):
        if name.startswith("TASKDESK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app({"TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'shop.db'}",
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
