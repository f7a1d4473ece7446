"""The session a login leaves behind: logging in from a browser that holds a session (someone
else on a shared machine, without logging out) ends that session instead of leaving it alive
on the server until it expires."""

from __future__ import annotations

import pytest

from tests.web.conftest import Browser

pytestmark = pytest.mark.hostile

SESSION = "taskdesk_session"


def test_logging_in_again_ends_the_browsers_previous_session(anonymous: Browser) -> None:
    anonymous.login("admin")
    first = anonymous.cookies[SESSION]
    anonymous.login("viewer")  # someone else, on the same browser, without logging out
    assert anonymous.cookies[SESSION] != first
    anonymous.cookies.clear()
    anonymous.cookies.set(SESSION, first)
    response = anonymous.get("/api/users")
    assert response.status_code == 401
