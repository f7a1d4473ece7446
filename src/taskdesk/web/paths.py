"""Where the admin lives: at the root of `taskdesk serve`, or under a prefix of another ASGI
app (`app.mount("/tasks", admin_app(desk))`). A mounted Starlette app is given the prefix as
the scope's `root_path` and keeps the full `path`; every URL the admin writes (links, form
actions, redirects, cookies) starts with the root, and every path it reads is taken without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import HTTPConnection


def root_of(scope: Mapping[str, Any]) -> str:
    """The prefix the admin is mounted under, without a trailing slash ("" at the root)."""
    root: str = scope.get("root_path", "") or ""
    return root.rstrip("/")


def route_path(scope: Mapping[str, Any]) -> str:
    """The path inside the admin: `/tasks/12` for `/admin/tasks/12` under `/admin`."""
    path: str = scope.get("path", "") or "/"
    root = root_of(scope)
    if root and (path == root or path.startswith(root + "/")):
        return path[len(root):] or "/"
    return path


def url_in(connection: HTTPConnection, path: str) -> str:
    """An absolute path of the admin's own page (`path` starts with "/"), under its root."""
    return root_of(connection.scope) + path


def cookie_path(connection: HTTPConnection) -> str:
    """The admin's cookies are sent to the admin only, not to the app it is mounted in."""
    return root_of(connection.scope) or "/"
