"""An error no handler knows is a JSON 500 that names nothing inside, with the security
headers every other answer carries (Starlette's last-resort 500 was bare text without them);
and args that name a task's `self` are a 400 naming the argument, not such an error."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from taskdesk.app import Taskdesk
from tests.web.conftest import PASSWORD, Browser

pytestmark = pytest.mark.hostile


def greet(name: str) -> None:
    """A registered task with one argument."""


def test_args_named_self_are_a_400_that_names_the_argument(admin: Browser,
                                                           desk: Taskdesk) -> None:
    definition = desk.task(greet)
    response = admin.act("POST", "/api/tasks", json={"code": "hello", "action": definition.name,
                                                     "args": {"name": "ann", "self": 1}})
    assert response.status_code == 400, response.text
    assert "self" in response.json()["detail"]
    assert desk.tasks.count() == 0


def test_an_unhandled_error_is_a_json_500_with_the_security_headers(
        app: FastAPI, desk: Taskdesk, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> object:
        raise RuntimeError("boom at /srv/secret/path")

    monkeypatch.setattr(app.state.admin, "runners", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        client.post("/login", data={"name": "admin", "password": PASSWORD})
        response = client.get("/api/runners")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert "secret" not in response.text
    assert response.json()["detail"].startswith("internal error")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
