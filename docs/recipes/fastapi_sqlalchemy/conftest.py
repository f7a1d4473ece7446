"""The shop's fixtures: each test gets its own SQLite file, shared by the shop and taskdesk,
with the tables made and a product in stock, and a client of the app."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from taskdesk import Taskdesk

from fastapi_shop.app import app
from fastapi_shop.db import Session, connect
from fastapi_shop.models import Product
from fastapi_shop.staff import add_user
from fastapi_shop.tasks import desk as shop_desk


@pytest.fixture(autouse=True)
def _no_taskdesk_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """TASKDESK_* variables of whoever runs the tests (they win over the app's settings in
    taskdesk's commands) must not point the tests at their database."""
    for name in list(os.environ):
        if name.startswith("TASKDESK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Taskdesk]:
    """The shop's desk and sessions on a fresh SQLite file (`postgresql+psycopg://…` works
    the same), closed after the test."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    connect(url)
    shop_desk.configure(database_url=url, home=tmp_path / "taskdesk")
    yield shop_desk
    shop_desk.close()
    Session.kw["bind"].dispose()


@pytest.fixture
def client(desk: Taskdesk) -> Iterator[TestClient]:
    with TestClient(app) as client:  # runs the lifespan: the tables are made
        with Session.begin() as session:
            session.add(Product(name="widget", stock=3))
        add_user("alice", "alice-password", admin_role="admin")
        add_user("bob", "bob-password")  # a customer: no role in taskdesk's admin
        yield client
