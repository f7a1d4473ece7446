"""Pages from Jinja2 templates. Autoescaping is on for every template, and text that came from
outside (a task's args or response, a log line, a package's manifest) also passes `visible`,
which shows control characters as escapes, so it reads as text and never as markup."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from taskdesk.text import visible
from taskdesk.web.paths import root_of, route_path
from taskdesk.web.security import Caller

TEMPLATES = Path(__file__).parent / "templates"

#: The menu, with OpenCart's names: (label, path, page whose access it needs).
MENU: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...] = (
    ("Dashboard", (("Dashboard", "/", "dashboard"),)),
    ("Extensions", (("Installer", "/installer", "installer"),
                    ("Extensions", "/extensions", "extensions"),
                    ("Tasks", "/tasks", "tasks"),
                    ("Queues", "/queues", "tasks"),
                    ("Schedules", "/schedules", "tasks"),
                    ("Workflows", "/workflows", "tasks"))),
    ("System", (("Error logs", "/error-log", "error_log"),
                ("Users", "/users", "users"),
                ("Audit log", "/audit", "audit"))),
)


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["visible"] = lambda value: "" if value is None else visible(str(value))
    env.filters["lines"] = _lines
    env.filters["when"] = _when
    env.filters["fact_label"] = fact_label
    env.filters["fact_value"] = fact_value
    env.filters["pretty"] = lambda value: visible(json.dumps(value, indent=2, ensure_ascii=False),
                                                  keep="\n")
    return env


def _lines(value: object) -> str:
    """Multi-line text (a traceback, a response) for a `white-space: pre-wrap` element: its
    line breaks stay line breaks (CRLF as one), every other control character an escape."""
    return "" if value is None else visible(str(value).replace("\r\n", "\n"), keep="\n")


def _when(value: str | None) -> str:
    """An ISO time shortened for a table cell: `2026-11-29 09:15:02`."""
    return "" if not value else value.replace("T", " ").removesuffix("Z")[:19]


_ISO_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")


def fact_label(key: str) -> str:
    """A fact's key (`complete_at`, the JSON's) as a label: `Complete at`."""
    words = key.replace("_", " ")
    return words[:1].upper() + words[1:]


def fact_value(value: object) -> str:
    """A fact's value for the page: a time as the page's other times (`2026-11-29 09:15:02`,
    UTC), anything else as text; `—` for none. Control characters made visible."""
    if value is None:
        return "—"
    text = str(value)
    return _when(text) if _ISO_UTC.fullmatch(text) else visible(text)


def render(request: Request, template: str, *, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    env: Environment = request.app.state.templates
    caller: Caller | None = getattr(request.state, "caller", None)
    menu = [(group, [item for item in items if caller and caller.may(f"{item[2]}:access")])
            for group, items in MENU]
    page = env.get_template(template).render(
        request=request, who=caller, menu=[entry for entry in menu if entry[1]],
        csrf_token=caller.csrf_token if caller else "",
        fragment=request.headers.get("HX-Request") == "true", path=route_path(request.scope),
        root=root_of(request.scope), **context)
    return HTMLResponse(page, status_code=status_code)
