"""A user name made only of dots (`.`, `..`) was accepted, but the Users page puts the name in
the URLs its buttons call, and a browser folds such a segment away: `DELETE /api/users/..`
goes to `/api/`, and `POST /api/users/./tokens` to `/api/users/tokens`. That user's buttons
reached other routes and could never work, so such a name is refused when it is made."""

from __future__ import annotations

import pytest

from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from taskdesk.errors import BadUserName
from tests.web.conftest import Browser

pytestmark = pytest.mark.hostile


@pytest.mark.parametrize("name", [".", "..", "..."])
def test_a_name_of_dots_is_refused_over_http(admin: Browser, desk: Taskdesk, name: str) -> None:
    response = admin.act("POST", "/api/users", json={"name": name, "password": "long enough"})
    assert response.status_code == 400
    assert "bad user name" in response.json()["detail"]
    assert name not in [user["name"] for user in Admin(desk).accounts.users()]


def test_a_name_of_dots_is_refused_by_the_accounts(desk: Taskdesk) -> None:
    with pytest.raises(BadUserName, match="not only dots"):
        Admin(desk).accounts.add_user("..", "long enough")


def test_names_with_dots_and_more_are_still_fine(admin: Browser) -> None:
    response = admin.act("POST", "/api/users", json={"name": "j.doe.", "password": "long enough"})
    assert response.status_code == 201
