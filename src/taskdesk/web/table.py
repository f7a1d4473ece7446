"""The route table: every route of the admin and its API, with the permission it needs.

One table serves three readers: `create_app` registers each route behind its guard, the
OpenAPI description lists the API routes, and the authorisation tests walk it, so a new route
cannot escape the checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Permission of the routes anyone may call (the login page, /healthz, /metrics' own check).
PUBLIC = "public"
#: Permission of the routes every logged-in user may call, whatever their role.
LOGGED_IN = "logged-in"
#: Permission of the routes that take a package: the only bodies larger than a mebibyte.
UPLOAD = "installer:upload"

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True, kw_only=True)
class Route:
    """One route: `page` routes answer HTML and send the anonymous to /login; the others
    answer JSON and refuse the anonymous with 401."""

    method: str
    path: str
    endpoint: Callable[..., Any]
    permission: str
    page: bool = False
    status_code: int = 200
    extra: dict[str, Any] = field(default_factory=dict)  # passed on to add_api_route

    @property
    def changes_state(self) -> bool:
        return self.method in STATE_CHANGING

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


class RouteList(list[Route]):
    """The routes one module declares, in order, with decorators that add to it."""

    def get(self, path: str, permission: str, *, page: bool = False,
            **extra: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._add("GET", path, permission, page=page, **extra)

    def post(self, path: str, permission: str, *, page: bool = False, status_code: int = 200,
             **extra: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._add("POST", path, permission, page=page, status_code=status_code, **extra)

    def delete(self, path: str, permission: str,
               **extra: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._add("DELETE", path, permission, **extra)

    def _add(self, method: str, path: str, permission: str, *, page: bool = False,
             status_code: int = 200,
             **extra: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def register(endpoint: Callable[..., Any]) -> Callable[..., Any]:
            self.append(Route(method=method, path=path, endpoint=endpoint,
                              permission=permission, page=page, status_code=status_code,
                              extra=extra))
            return endpoint
        return register
