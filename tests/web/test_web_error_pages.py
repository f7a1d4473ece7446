"""The error answers outside the route table: a browser that asks for a page that does not
exist, or sends a method a page does not take, gets the HTML error page with one message,
not a bare JSON object; the API and machine clients keep their JSON."""

from __future__ import annotations

import pytest

from tests.web.conftest import Browser

pytestmark = pytest.mark.hostile

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.mark.parametrize(("method", "path", "status", "message"), [
    ("GET", "/no-such-page", 404, "Not Found"),
    ("GET", "/tasks/log/more", 404, "Not Found"),
    ("PUT", "/tasks", 405, "Method Not Allowed"),
])
def test_a_browser_gets_the_error_page(admin: Browser, method: str, path: str, status: int,
                                       message: str) -> None:
    response = admin.request(method, path, headers=HTML)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert "Something went wrong" in response.text
    assert message in response.text


@pytest.mark.parametrize("headers", [HTML, {"Accept": "*/*"}])
def test_the_api_answers_json_whatever_the_client_accepts(admin: Browser,
                                                          headers: dict[str, str]) -> None:
    response = admin.get("/api/no-such-thing", headers=headers)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_a_client_that_asks_for_no_html_gets_json(anonymous: Browser) -> None:
    response = anonymous.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}
