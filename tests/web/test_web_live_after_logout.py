"""A live region after its session ended (logged out in another tab, password changed,
expired): its refresh was redirected to /login, which htmx followed and swapped in, so the
whole login page appeared nested inside the Tasks list or the dashboard, every few seconds.
An htmx request now gets a 401 whose HX-Redirect sends the whole tab to the login page."""

from __future__ import annotations

import pytest

from tests.web.conftest import Browser

pytestmark = pytest.mark.hostile

LIVE = {"HX-Request": "true", "HX-Current-URL": "http://testserver/tasks?status=failed"}


@pytest.mark.parametrize("path", ["/tasks/runners", "/tasks?status=failed", "/"])
def test_a_live_refresh_without_a_session_sends_the_tab_to_the_login_page(
        admin: Browser, path: str) -> None:
    admin.act("POST", "/logout")
    response = admin.get(path, headers=LIVE, follow_redirects=False)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=%2Ftasks%3Fstatus%3Dfailed"
    assert 'name="password"' not in response.text


def test_a_page_load_without_a_session_is_still_redirected(anonymous: Browser) -> None:
    response = anonymous.get("/tasks/runners", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Ftasks%2Frunners"


def test_a_foreign_current_url_is_not_where_the_login_goes_next(anonymous: Browser) -> None:
    response = anonymous.get("/tasks", headers={"HX-Request": "true",
                                                "HX-Current-URL": "https://evil.example//x"},
                             follow_redirects=False)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=%2F")
    assert "evil" not in response.headers["HX-Redirect"]
