"""Roles and permissions, as OpenCart's user groups: per page, `access` to see it and `modify`
to change it; uploading a package (code that will run) is a permission of its own."""

from __future__ import annotations

from taskdesk.errors import BadRole

PAGES = ("dashboard", "tasks", "extensions", "installer", "error_log", "users", "audit")
ROLES = ("admin", "operator", "viewer")
UPLOAD = "installer:upload"

_OPERATOR_SEES = tuple(page for page in PAGES if page not in ("users", "audit"))
_OPERATOR_CHANGES = ("tasks", "extensions", "error_log", "installer")
_VIEWER_SEES = ("dashboard", "tasks", "extensions", "installer", "error_log")


def _grants(verb: str, pages: tuple[str, ...]) -> frozenset[str]:
    return frozenset(f"{page}:{verb}" for page in pages)


_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": _grants("access", PAGES) | _grants("modify", PAGES) | {UPLOAD},
    "operator": _grants("access", _OPERATOR_SEES) | _grants("modify", _OPERATOR_CHANGES),
    "viewer": _grants("access", _VIEWER_SEES),
}


def check_role(role: str) -> str:
    """The role, or BadRole naming the roles there are."""
    if role not in _PERMISSIONS:
        raise BadRole(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return role


def permissions_of(role: str) -> frozenset[str]:
    """Every permission ("PAGE:access", "PAGE:modify", "installer:upload") of a role."""
    return _PERMISSIONS[check_role(role)]
