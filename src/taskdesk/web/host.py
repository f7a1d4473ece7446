"""The host application's users in the admin: `admin_app(desk, authenticate=hook)`.

The hook is the host app's word on who is calling. It receives the Starlette `Request` the
admin was given (the host's cookies, headers and `request.session` included) and returns
`(name, role)` — a user name and one of taskdesk's roles (admin, operator, viewer) — or None
for someone it does not know, who then meets the admin's own login. It runs in a worker
thread, so it may query the host's database.

Such a caller has no taskdesk session, so no CSRF token in the database: the admin gives the
browser a random one in a cookie of its own (HttpOnly, SameSite=Strict, sent to the admin's
path only) and writes it in every page; a change must send it back in X-CSRF-Token or the
`csrf_token` field, which another site's page cannot read (double-submit). Audit entries name
the hook's user name.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

from taskdesk.errors import BadInput
from taskdesk.models.account_rules import check_user_name
from taskdesk.models.roles import check_role, permissions_of
from taskdesk.views import UserView
from taskdesk.web.paths import cookie_path

#: `(user name, role)`, e.g. `("alice", "admin")`.
HostUser = tuple[str, str]
#: What `admin_app(authenticate=…)` takes: the host's user for a request, or None.
Authenticate = Callable[[Request], HostUser | None]

HOST_CSRF_COOKIE = "taskdesk_csrf"
CSRF_BYTES = 32
#: What secrets.token_urlsafe(CSRF_BYTES) makes; any other cookie value is replaced.
CSRF_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def host_user(authenticate: Authenticate, request: Request) -> UserView | None:
    """The hook's user, checked: a bad name or role is one clear error, never a way in."""
    found = authenticate(request)
    if found is None:
        return None
    if not isinstance(found, tuple) or len(found) != 2:
        raise BadInput(f"the admin's authenticate hook must return (name, role) or None, "
                       f"not a {type(found).__name__}")
    name, role = check_user_name(found[0]), check_role(found[1])
    return UserView(user_id=0, name=name, role=role,
                    permissions=sorted(permissions_of(role)),
                    date_added=None, date_modified=None)


def host_csrf(request: Request) -> str:
    """This browser's CSRF token: its cookie's, or a new one that the response will set."""
    given = request.cookies.get(HOST_CSRF_COOKIE, "")
    if CSRF_SHAPE.fullmatch(given):
        return given
    fresh: str = getattr(request.state, "new_csrf", "") or secrets.token_urlsafe(CSRF_BYTES)
    request.state.new_csrf = fresh
    return fresh


def keep_csrf(request: Request, response: Response) -> None:
    """Set the cookie of a token made for this request (a host user's first page)."""
    fresh = getattr(request.state, "new_csrf", "")
    if fresh:
        response.set_cookie(HOST_CSRF_COOKIE, fresh, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", path=cookie_path(request))
