"""Login CSRF: another site must not log a visitor in (as the attacker, so that what the
visitor then does lands in the attacker's account). The login form has no session yet, so no
CSRF token: the browser's Origin (and Sec-Fetch-Site) tell where the post came from."""

from __future__ import annotations

import pytest

from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from tests.web.conftest import PASSWORD, Browser

pytestmark = pytest.mark.hostile

SESSION = "taskdesk_session"


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"},
])
def test_another_site_cannot_log_a_visitor_in(anonymous: Browser, desk: Taskdesk,
                                              headers: dict[str, str]) -> None:
    response = anonymous.post("/login", data={"name": "viewer", "password": PASSWORD},
                              headers=headers, follow_redirects=False)
    assert response.status_code == 403
    assert "set-cookie" not in response.headers
    assert "another site" in response.text
    assert [entry["action"] for entry in Admin(desk).audit.entries()] == []


@pytest.mark.parametrize("headers", [
    {},  # a client that sends no Origin (curl, an old browser)
    {"Origin": "http://testserver"},
    {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
])
def test_the_login_form_of_this_site_still_logs_in(anonymous: Browser,
                                                   headers: dict[str, str]) -> None:
    response = anonymous.post("/login", data={"name": "viewer", "password": PASSWORD},
                              headers=headers, follow_redirects=False)
    assert response.status_code == 303
    assert SESSION in response.headers["set-cookie"]
