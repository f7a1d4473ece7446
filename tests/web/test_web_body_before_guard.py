"""A caller the guard refuses must not get their body read first: FastAPI parses a route's
body before its dependencies run, so the anonymous could make the server parse a JSON body of
the package size (50 MiB: hundreds of MiB of Python objects) and read validation answers of
routes they may not call. And no route but the upload needs a body larger than a mebibyte."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from taskdesk.app import Taskdesk
from tests.web.conftest import Browser

pytestmark = pytest.mark.hostile


def test_the_anonymous_are_refused_before_their_body_is_read(
        anonymous: Browser, monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[str] = []
    body = Request.body

    async def spying(self: Request) -> bytes:
        read.append(self.url.path)
        return await body(self)

    monkeypatch.setattr(Request, "body", spying)
    response = anonymous.post("/api/tasks", json={"code": "x", "action": "y"})
    assert response.status_code == 401
    assert read == []


def test_a_malformed_body_from_the_anonymous_is_a_401_not_a_422(anonymous: Browser) -> None:
    response = anonymous.post("/api/users", content=b"{", headers={"content-type":
                                                                   "application/json"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Log in, or send a bearer token."}


def test_a_role_without_the_permission_is_refused_before_its_body_is_validated(
        browsers: dict[str, Browser], desk: Taskdesk) -> None:
    viewer = browsers["viewer"]
    response = viewer.post("/api/tasks", content=b"[not json",
                           headers={"content-type": "application/json",
                                    "X-CSRF-Token": viewer.csrf})
    assert response.status_code == 403
    assert "tasks:modify" in response.json()["detail"]


def test_a_json_body_over_a_mebibyte_is_refused_even_to_the_admin(admin: Browser,
                                                                  desk: Taskdesk) -> None:
    body = b'{"code": "big", "action": "x", "args": {"a": "' + b"x" * (2 * 1024 * 1024) + b'"}}'
    response = admin.post("/api/tasks", content=body,
                          headers={"content-type": "application/json",
                                   "X-CSRF-Token": admin.csrf})
    assert response.status_code == 413
    assert "bytes" in response.json()["detail"]
    assert desk.tasks.count() == 0


def test_the_login_form_takes_no_large_body(anonymous: Browser) -> None:
    response = anonymous.post("/login", content=b"name=" + b"a" * (2 * 1024 * 1024),
                              headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413


def test_a_viewers_multipart_post_is_refused_before_its_form_is_parsed(
        browsers: dict[str, Browser], monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSRF token of a form post is read from the form: checked before the permission, a
    viewer's upload (up to the package size) was parsed only to be refused."""
    parsed: list[str] = []
    form = Request.form

    def spying(self: Request, **limits: object) -> object:
        parsed.append(self.url.path)
        return form(self, **limits)  # type: ignore[arg-type]

    monkeypatch.setattr(Request, "form", spying)
    viewer = browsers["viewer"]
    response = viewer.post("/api/extensions/upload",
                           files={"file": ("x.zip", b"PK" + b"x" * 100_000)})
    assert response.status_code == 403
    assert "installer:upload" in response.json()["detail"]
    assert parsed == []
