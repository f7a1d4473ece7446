"""Handlers: the tasks an application registered, and the one answer to "may this action run?".

An action runs only if it is
  (a) a registered task (`@desk.task`), by its name;
  (b) a `task/catalog/…` controller of an extension that is installed; or
  (c) an import path whose module is under a prefix of TASKDESK_ALLOWED_ACTIONS.
Anything else — `os:system`, `builtins:exec`, an admin module reached through `task/admin/…` —
is refused when the task is added (where that can be told) and fails its task when a runner
meets it. Whoever can add an allowed task, or upload an extension, can run code: that is the
whole of who may run what.
"""

from __future__ import annotations

import threading
from types import FunctionType
from typing import Any, Protocol

from taskdesk.config import Settings
from taskdesk.controller import Context
from taskdesk.definitions import TaskDefinition
from taskdesk.errors import ActionNotAllowed, BadInput
from taskdesk.models.actions import ROUTE_PREFIX, ImportPath, Route, TaskName, parse_action
from taskdesk.models.limits import TaskLimit
from taskdesk.models.tasks import JsonObject
from taskdesk.resolve import Handler, Resolver

TASK_SIDE = "catalog"  # admin controllers are modules (install/uninstall), never tasks


class Host(Protocol):
    """What the allow-list reads from its Taskdesk, when it is asked (settings may change
    until the store opens)."""

    settings: Settings

    @property
    def resolver(self) -> Resolver: ...

    def is_installed(self, extension: str) -> bool:
        """Whether any module of the extension is installed."""
        ...


class Handlers:
    """Registered task definitions by name, and the allow-list over every other action."""

    def __init__(self, host: Host) -> None:
        self._host = host
        self._definitions: dict[str, TaskDefinition[Any, Any]] = {}
        self._lock = threading.Lock()
        #: Module-level functions already resolved and allowed, with the allow-list they
        #: were allowed under: a runner resolves the same few actions thousands of times.
        self._functions: dict[str, tuple[tuple[str, ...], Handler]] = {}

    # -- the registered tasks -------------------------------------------------------------
    def register(self, definition: TaskDefinition[Any, Any]) -> None:
        """Add a definition; the same function registered again (a re-import) replaces
        itself, another function under a taken name is refused."""
        with self._lock:
            known = self._definitions.get(definition.name)
            if known is not None and _origin(known.func) != _origin(definition.func):
                raise BadInput(f"a different task is already registered as {definition.name!r} "
                               f"({_origin(known.func)})")
            self._definitions[definition.name] = definition

    def unregister(self, name: str) -> bool:
        with self._lock:
            return self._definitions.pop(name, None) is not None

    def get(self, name: str) -> TaskDefinition[Any, Any] | None:
        return self._definitions.get(name)

    def names(self) -> list[str]:
        return sorted(self._definitions)

    def __contains__(self, name: object) -> bool:
        return name in self._definitions

    # -- the allow-list -------------------------------------------------------------------
    def check(self, action: str, *, installing: str | None = None) -> None:
        """Refuse an action that may not run, with ActionNotAllowed saying how to allow it.
        `installing` is an extension whose install() is running: its routes may be added."""
        parsed = parse_action(action)
        if action in self._definitions:
            return
        if isinstance(parsed, TaskName):
            raise ActionNotAllowed(
                f"action {action!r} is not a registered task: define it with @desk.task, and "
                "load the application that does (--app or TASKDESK_APP)")
        if isinstance(parsed, Route):
            self._check_route(action, parsed, installing)
        else:
            self._check_import_path(action, parsed)

    def check_args(self, action: str, args: JsonObject) -> TaskLimit | None:
        """A registered task's args must fit its signature when the task is added; returns
        the task's limit by key when its definition has one (the registry stores it)."""
        definition = self._definitions.get(action)
        if definition is None:
            return None
        definition.bind(**args)
        return definition.limit_for(args)

    def _check_route(self, action: str, route: Route, installing: str | None) -> None:
        if route.side != TASK_SIDE:
            raise ActionNotAllowed(
                f"action {action!r} is not allowed: only task/{TASK_SIDE}/… controllers run as "
                f"tasks; {route.side}/ controllers are an extension's modules")
        if route.extension != installing and not self._host.is_installed(route.extension):
            raise ActionNotAllowed(
                f"action {action!r} is not allowed: extension {route.extension!r} is not "
                f"installed (taskdesk extension install {route.extension})")

    def _check_import_path(self, action: str, path: ImportPath) -> None:
        if self._is_allowed_module(path.module):
            return
        raise ActionNotAllowed(
            f"action {action!r} is not allowed: it is not a registered task, and its module "
            f"{path.module} is not under TASKDESK_ALLOWED_ACTIONS (now {self._allowed_text()}); "
            "register it with @desk.task, or add its module to TASKDESK_ALLOWED_ACTIONS")

    def _is_allowed_module(self, module: str) -> bool:
        return any(module == prefix or module.startswith(prefix + ".")
                   for prefix in self._host.settings.allowed_actions)

    def _allowed_text(self) -> str:
        return ", ".join(self._host.settings.allowed_actions) or "empty"

    def _check_defined_where_allowed(self, action: str, target: object, *,
                                     instance: bool = False) -> None:
        """An allowed module may have imported anything (`from os import system`): what an
        import path reaches — each step, before it is used — must be defined under an
        allowed prefix too (for an instance, its class)."""
        if isinstance(target, TaskDefinition):  # registered elsewhere: its function counts
            target, instance = target.func, False
        defined = type(target) if instance else target
        module = getattr(defined, "__module__", None)
        if isinstance(module, str) and self._is_allowed_module(module):
            return
        raise ActionNotAllowed(
            f"action {action!r} is not allowed: it reaches {_origin(defined)}, which is not "
            f"defined under TASKDESK_ALLOWED_ACTIONS (now {self._allowed_text()})")

    # -- what runners call ------------------------------------------------------------------
    def resolve(self, action: str, context: Context) -> Handler:
        """The handler of an allowed action; ActionNotAllowed or BadAction otherwise."""
        definition = self._definitions.get(action)
        if definition is not None:
            return definition.handler(context)
        allowed = self._host.settings.allowed_actions
        known = self._functions.get(action)
        if known is not None and known[0] == allowed:
            return known[1]
        self.check(action)
        if action.startswith(ROUTE_PREFIX):
            return self._host.resolver.resolve(action, context)
        handler = self._host.resolver.resolve(
            action, context, vet=lambda target: self._check_defined_where_allowed(
                action, target, instance=not callable(target)))
        self._check_defined_where_allowed(action, handler)
        if isinstance(handler, FunctionType) and "." not in action.partition(":")[2]:
            self._functions[action] = (allowed, handler)  # no controller built on the way
        return handler

    def retry_delay(self, action: str) -> float | None:
        """A registered task's own first retry delay, if it set one."""
        definition = self._definitions.get(action)
        return None if definition is None else definition.retry_delay

    def timeout(self, action: str) -> float | None:
        """A registered task's own timeout in seconds (0: none), if it set one."""
        definition = self._definitions.get(action)
        return None if definition is None else definition.timeout

    def own_process(self, action: str) -> bool:
        """Whether a registered task asked for a process of its own (process=True)."""
        definition = self._definitions.get(action)
        return definition is not None and definition.process


def _origin(func: Any) -> str:
    return f"{getattr(func, '__module__', '?')}:{getattr(func, '__qualname__', '?')}"
