"""Fixtures of the admin web's tests: a desk on SQLite with one user per role, the app, and
clients logged in as each (cookies and the page's CSRF token), all in-process."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx2 as httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from taskdesk.accounts.passwords import Passwords
from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from taskdesk.web import create_app
from tests.conftest import TEST_ACTIONS, copy_database

PASSWORD = "correct horse battery"
ROLES = ("admin", "operator", "viewer")
FAST_PASSWORDS = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


class Browser(TestClient):
    """A TestClient that logged in through the login form, and knows its CSRF token."""

    csrf: str = ""

    def login(self, name: str, password: str = PASSWORD) -> Browser:
        response = self.post("/login", data={"name": name, "password": password, "next": "/"},
                             follow_redirects=False)
        assert response.status_code == 303, response.text
        self.csrf = csrf_of(self.get("/tasks").text)
        return self

    def act(self, method: str, url: str, *, json: object = None) -> httpx.Response:
        """A call as the admin's own script makes it: JSON with the CSRF header."""
        response: httpx.Response = self.request(method, url, json=json,
                                                headers={"X-CSRF-Token": self.csrf})
        return response


def csrf_of(page: str) -> str:
    found = CSRF_META.search(page)
    assert found, "the page has no CSRF token"
    return found.group(1)


def make_desk(home: Path, template: Path | None = None) -> Taskdesk:
    """`template`, a migrated database (tests/conftest.py), spares `init` the migrations."""
    if template is not None:
        copy_database(template, home / "taskdesk.db")
    desk = Taskdesk(home=home, allowed_actions=TEST_ACTIONS)
    desk.init()
    Admin(desk).accounts.passwords = FAST_PASSWORDS  # argon2's real cost, 3 logins a test, is slow
    for role in ROLES:
        Admin(desk).accounts.add_user(role, PASSWORD, role=role)
    return desk


@contextmanager
def logged_in(app: FastAPI) -> Iterator[dict[str, Browser]]:
    """A client per role, each logged in through the login form."""
    with ExitStack() as stack:
        clients = {role: stack.enter_context(Browser(app)) for role in ROLES}
        for role, client in clients.items():
            client.login(role)
        yield clients


@pytest.fixture
def desk(tmp_path: Path, sqlite_template: Path) -> Iterator[Taskdesk]:
    desk = make_desk(tmp_path / "home", sqlite_template)
    yield desk
    desk.close()


@pytest.fixture
def app(desk: Taskdesk) -> FastAPI:
    return create_app(desk)


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[Browser]:
    with Browser(app) as client:
        yield client


@pytest.fixture
def browsers(app: FastAPI) -> Iterator[dict[str, Browser]]:
    with logged_in(app) as clients:
        yield clients


@pytest.fixture
def admin(app: FastAPI, request: pytest.FixtureRequest) -> Iterator[Browser]:
    """The admin's client: the one of `browsers` when the test has them, else the admin alone
    (each login costs ~0.1 s, and most tests act as the admin only)."""
    if "browsers" in request.fixturenames:
        clients: dict[str, Browser] = request.getfixturevalue("browsers")
        yield clients["admin"]
        return
    with Browser(app) as client:
        yield client.login("admin")
