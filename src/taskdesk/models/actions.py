"""Actions: the text that says what a task runs, parsed once and resolved to a handler.

Three forms, told apart by their characters: a route starts with `task/`, an import path has a
`:`, and anything else is the name of a registered task.

    task/<side>/<extension>.<controller>[.<method>]
        A controller of an installed extension: `task/catalog/test_module.task` is the class
        `Task` in `<extensions>/test_module/catalog/controller/task.py`, method `index`.
        <side> is `catalog` or `admin`; <controller> is one or more `/`-separated segments
        (`backup/table` → `controller/backup/table.py`, class `Table`); segments, <extension>
        and <method> are lowercase identifiers ([a-z0-9_], not starting with a digit). A
        <method> starting with `_` (`_private`, `__init__`) is never a task: refused here,
        when the task is added, not when it runs.

    <package.module>:<attribute>[.<attribute>…]
        Anything importable: a function (`mypkg.jobs:send_mail`), or a Controller subclass
        (`mypkg.jobs:Report`, method `index`) or one of its methods (`mypkg.jobs:Report.build`).
        A task registered with `@desk.task` has this form by default (`module:qualname`).

    <name>
        A task registered with `@desk.task(name="emails.welcome")`: letters, digits, `_`, `.`
        and `-`, starting with a letter or `_`.

Which actions may run at all is decided in handlers.py (the allow-list), not here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from taskdesk.errors import BadAction

ROUTE_PREFIX = "task/"
SIDES = ("catalog", "admin")
DEFAULT_METHOD = "index"
MAX_ACTION_LENGTH = 255

#: Extension codes, controller segments, module types and methods in routes.
NAME = r"[a-z_][a-z0-9_]*"
_ROUTE = re.compile(
    rf"task/(?P<side>{'|'.join(SIDES)})/(?P<extension>{NAME})"
    rf"\.(?P<controller>{NAME}(?:/{NAME})*)(?:\.(?P<method>{NAME}))?"
)
_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]*"
_TASK_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_IMPORT_PATH = re.compile(
    rf"(?P<module>{_IDENTIFIER}(?:\.{_IDENTIFIER})*):(?P<qualname>{_IDENTIFIER}(?:\.{_IDENTIFIER})*)"
)


@dataclass(frozen=True)
class Route:
    """A controller method of an installed extension."""

    side: str
    extension: str
    controller: str  # path below <side>/controller, without .py: "task", "backup/table"
    method: str

    @property
    def class_name(self) -> str:
        return class_name_of(self.controller)


@dataclass(frozen=True)
class ImportPath:
    """An attribute of an importable module."""

    module: str
    qualname: str


@dataclass(frozen=True)
class TaskName:
    """The name a task was registered under (`@desk.task(name=…)`)."""

    name: str


Action = Route | ImportPath | TaskName


def class_name_of(controller: str) -> str:
    """A controller's class: its file name in CamelCase (module/test_module → TestModule)."""
    stem = controller.rsplit("/", 1)[-1]
    return "".join(part.capitalize() for part in stem.split("_"))


def parse_action(text: str) -> Action:
    """The action's parts, or BadAction naming what is wrong with it."""
    if not isinstance(text, str) or not text:
        raise BadAction("the action is empty")
    if len(text) > MAX_ACTION_LENGTH:
        raise BadAction(f"the action is longer than {MAX_ACTION_LENGTH} characters")
    if text.startswith(ROUTE_PREFIX):
        return _parse_route(text)
    if ":" not in text and _TASK_NAME.fullmatch(text):
        return TaskName(text)
    match = _IMPORT_PATH.fullmatch(text)
    if match is None:
        raise BadAction(
            f"action {text!r} is neither a route (task/<side>/<extension>.<controller>"
            "[.<method>]), an import path (package.module:callable) nor a task name"
        )
    return ImportPath(module=match["module"], qualname=match["qualname"])


def route_extension(action: str) -> str | None:
    """The extension whose route an action is, if it is a valid one (fan-out's origin)."""
    if not action.startswith(ROUTE_PREFIX):
        return None
    match = _ROUTE.fullmatch(action)
    return None if match is None else match["extension"]


def _parse_route(text: str) -> Route:
    match = _ROUTE.fullmatch(text)
    if match is None:
        raise BadAction(
            f"route {text!r} does not read task/<side>/<extension>.<controller>[.<method>] "
            f"with <side> one of {', '.join(SIDES)} and lowercase names"
        )
    method = match["method"] or DEFAULT_METHOD
    if method.startswith("_"):
        raise BadAction(f"route {text!r}: method {method} starts with '_'; only a public "
                        "method of a controller runs as a task")
    return Route(
        side=match["side"],
        extension=match["extension"],
        controller=match["controller"],
        method=method,
    )
