"""docs/admin.md lists every API route of the table with its permission: the reference cannot
fall behind the code."""

from __future__ import annotations

from pathlib import Path

from taskdesk.web.routes import ROUTES

DOC = Path(__file__).resolve().parents[2] / "docs" / "admin.md"


def test_every_api_route_is_documented_with_its_permission() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [route.name for route in ROUTES if route.path.startswith("/api/")
               and f"| `{route.name}` | {route.permission} |" not in text]
    assert missing == []
