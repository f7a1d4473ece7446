"""API tokens over HTTP: a read-only token reads and never changes anything, an expired one
is refused like an unknown one, and both can be issued through the API."""

from __future__ import annotations

from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from tests.support import FakeClock
from tests.web.conftest import Browser

TASK = {"code": "x", "action": "tests.support.handlers:noop"}


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_a_read_only_token_reads_and_changes_nothing(anonymous: Browser,
                                                     desk: Taskdesk) -> None:
    secret, _ = Admin(desk).accounts.issue_token("admin", read_only=True)
    assert anonymous.get("/api/tasks", headers=_bearer(secret)).status_code == 200
    assert anonymous.get("/api/users", headers=_bearer(secret)).status_code == 200
    refused = anonymous.post("/api/tasks", json=TASK, headers=_bearer(secret))
    assert refused.status_code == 403
    assert "read-only" in refused.json()["detail"]
    assert anonymous.delete("/api/error-log", headers=_bearer(secret)).status_code == 403
    assert desk.tasks.count() == 0
    full, _ = Admin(desk).accounts.issue_token("admin")
    assert anonymous.post("/api/tasks", json=TASK, headers=_bearer(full)).status_code == 201


def test_an_expired_token_is_refused(anonymous: Browser, desk: Taskdesk) -> None:
    clock = FakeClock()
    desk.store.clock = clock
    secret, _ = Admin(desk).accounts.issue_token("viewer", expires_days=1)
    assert anonymous.get("/api/tasks", headers=_bearer(secret)).status_code == 200
    clock.advance(86_400)
    assert anonymous.get("/api/tasks", headers=_bearer(secret)).status_code == 401


def test_the_api_issues_expiring_read_only_tokens(admin: Browser) -> None:
    issued = admin.act("POST", "/api/users/viewer/tokens",
                       json={"label": "ci", "expires_days": 30, "read_only": True})
    assert issued.status_code == 201, issued.text
    details = issued.json()["details"]
    assert details["read_only"] is True
    assert details["expires_at"] is not None
    bad = admin.act("POST", "/api/users/viewer/tokens", json={"expires_days": -1})
    assert bad.status_code == 400
