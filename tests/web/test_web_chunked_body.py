"""A body sent without Content-Length (chunked) that grows past the limit: the limit counted
it and stopped the read, but FastAPI turned that into "400 There was an error parsing the
body". It is the same refusal as a declared size: 413, naming the limit, nothing changed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from taskdesk.app import Taskdesk
from tests.web.conftest import Browser

pytestmark = pytest.mark.hostile

MIB = 1024 * 1024


def chunks(count: int) -> Iterator[bytes]:
    yield b'{"code": "big", "action": "x", "args": {"a": "'
    for _ in range(count):
        yield b"x" * MIB
    yield b'"}}'


def test_a_chunked_body_over_the_limit_is_a_413(admin: Browser, desk: Taskdesk) -> None:
    response = admin.post("/api/tasks", content=chunks(2),
                          headers={"content-type": "application/json",
                                   "X-CSRF-Token": admin.csrf})
    assert response.status_code == 413
    assert response.json()["detail"] == f"the request body is larger than {MIB} bytes"
    assert desk.tasks.count() == 0
