"""Resolve an action to its handler: the callable a runner calls with the task's args."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any, Protocol

from taskdesk.controller import Context, Controller, Handler
from taskdesk.definitions import TaskDefinition
from taskdesk.errors import BadAction
from taskdesk.models.actions import (
    DEFAULT_METHOD,
    ImportPath,
    Route,
    TaskName,
    class_name_of,
    parse_action,
)

__all__ = ["ControllerFiles", "Handler", "Resolver", "Vet", "controller_class"]

#: Refuses an object an import path reaches (raises); called before the object is used.
Vet = Callable[[object], None]


class ControllerFiles(Protocol):
    """Where a route's controller comes from: an extension's controller file, imported
    (taskdesk.extensions.loader.ControllerLoader); BadAction when it cannot be."""

    def load(self, extension: str, side: str, controller: str) -> ModuleType: ...


def _accept(target: object) -> None:
    """No vetting: every object is acceptable."""


class Resolver:
    """The mechanics of finding a handler; handlers.Handlers decides whether it may run."""

    def __init__(self, loader: ControllerFiles) -> None:
        self.loader = loader

    def resolve(self, action: str, context: Context, vet: Vet | None = None) -> Handler:
        """The handler, or BadAction naming the action and what is missing. `vet` sees each
        object an import path walks through, before it is called, instantiated or read
        from (the allow-list refuses what is defined elsewhere)."""
        parsed = parse_action(action)
        if isinstance(parsed, Route):
            return self._route(parsed, action, context)
        if isinstance(parsed, TaskName):
            raise BadAction(f"no task is registered as {action!r}")
        return _import_path(parsed, action, context, vet or _accept)

    def retry_delay(self, action: str) -> float | None:
        """Plain actions have no retry delay of their own."""
        return None

    def timeout(self, action: str) -> float | None:
        """Plain actions have no timeout of their own."""
        return None

    def own_process(self, action: str) -> bool:
        """Plain actions run where the runner's timeout puts them."""
        return False

    def _route(self, route: Route, action: str, context: Context) -> Handler:
        try:
            module = self.loader.load(route.extension, route.side, route.controller)
        except BadAction as error:
            raise BadAction(f"action {action!r}: {error.message}") from error
        cls = controller_class(module, route.controller)
        if cls is None:
            raise BadAction(
                f"action {action!r}: {route.side}/controller/{route.controller}.py has no "
                f"Controller subclass {route.class_name}"
            )
        return _method(cls(context), route.method, action)


def controller_class(module: ModuleType, controller: str) -> type[Controller] | None:
    """The Controller subclass a controller file defines under its CamelCase name."""
    cls = getattr(module, class_name_of(controller), None)
    return cls if isinstance(cls, type) and issubclass(cls, Controller) else None


def _import_path(path: ImportPath, action: str, context: Context, vet: Vet) -> Handler:
    try:
        target: Any = importlib.import_module(path.module)
    except Exception as error:
        raise BadAction(
            f"action {action!r}: cannot import {path.module}: {type(error).__name__}: {error}"
        ) from error
    for name in path.qualname.split("."):
        target = _unwrap(target, context)
        if name.startswith("_") or not hasattr(target, name):
            raise BadAction(f"action {action!r}: {path.module} has no {path.qualname}")
        target = getattr(target, name)
        if isinstance(target, ModuleType):  # never a way into another module: mod:os.system
            raise BadAction(f"action {action!r}: {name} is a module, not a task")
        vet(target)
    if isinstance(target, TaskDefinition):  # a registered task reached by its import path
        return target.handler(context)
    if _is_controller(target):
        return _method(target(context), DEFAULT_METHOD, action)
    if not callable(target):
        raise BadAction(f"action {action!r}: {path.qualname} is not callable")
    return target  # type: ignore[no-any-return]


def _unwrap(target: Any, context: Context) -> Any:
    """What an attribute is looked up on: a controller's instance, a definition's function."""
    if isinstance(target, TaskDefinition):
        target = target.func
    return target(context) if _is_controller(target) else target


def _is_controller(value: object) -> bool:
    return isinstance(value, type) and issubclass(value, Controller)


def _method(instance: Controller, name: str, action: str) -> Handler:
    method = getattr(instance, name, None)
    if name.startswith("_") or not callable(method):
        raise BadAction(f"action {action!r}: {type(instance).__name__} has no method {name}()")
    return method  # type: ignore[no-any-return]
