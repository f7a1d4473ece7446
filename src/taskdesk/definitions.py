"""TaskDefinition: a function (or Controller subclass) registered with `@desk.task`.

    @desk.task(max_attempts=5)
    def send_welcome(user_id: int) -> None: ...

    send_welcome.enqueue(user_id=42)                        # a pending task's handle
    send_welcome.enqueue_many({"user_id": n} for n in ids)  # one per call, one transaction
    send_welcome.using(priority=10, run_after=timedelta(minutes=5)).enqueue(user_id=42)
    send_welcome.using(connection=conn).enqueue(user_id=42) # inside the caller's transaction
    send_welcome(42)                                        # runs it here and now

Arguments are bound to the signature when the task is enqueued, so a missing, extra or
non-JSON argument is a BadArgs in the caller, not a failed task later. Options are named as in
Django's built-in tasks framework (`django.tasks`): `priority`, `run_after`, `queue_name`;
`code`, `replace`, `max_attempts` and `connection` are ours.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Generic, ParamSpec, Protocol, TypeVar, overload

from taskdesk.config import MAX_TASK_TIMEOUT_SECONDS
from taskdesk.controller import Context, Controller, Handler
from taskdesk.errors import BadArgs, BadInput
from taskdesk.models.actions import DEFAULT_METHOD, ROUTE_PREFIX, parse_action
from taskdesk.models.limits import LimitSpec, TaskLimit, limit_spec
from taskdesk.models.queues import DEFAULT_QUEUE, check_queue
from taskdesk.models.retry import MAX_DELAY_SECONDS
from taskdesk.models.tasks import JsonObject, NewTask, Task, check_args
from taskdesk.registry import TaskRegistry
from taskdesk.results import TaskHandle

P = ParamSpec("P")
R = TypeVar("R")

MAX_NAME_LENGTH = 128  # a name is also the default code, which the task table holds in 128


class Desk(Protocol):
    """What a definition needs from its Taskdesk."""

    @property
    def tasks(self) -> TaskRegistry:
        """The task registry, with the allow-list."""
        ...

    def context(self) -> Context:
        """What a Controller is built with when it is called directly."""
        ...


@dataclass(frozen=True, kw_only=True)
class TaskOptions:
    """How `enqueue` adds the task; `using()` returns a definition with some changed."""

    code: str | None = None  # None: the task's name, and waiting tasks are not replaced
    replace: bool | None = None  # None: replace waiting tasks exactly when a code is given
    priority: int = 0
    run_after: datetime | timedelta | str | None = None
    max_attempts: int | None = None  # None: TASKDESK_MAX_ATTEMPTS
    queue_name: str = DEFAULT_QUEUE
    connection: object | None = None


class TaskDefinition(Generic[P, R]):
    """A registered task: enqueue it, set options with `using()`, or call it directly."""

    def __init__(self, target: Any, *, desk: Desk, name: str | None = None,
                 retry_delay: float | None = None, options: TaskOptions | None = None,
                 timeout: float | None = None, process: bool = False,
                 limit: LimitSpec | None = None) -> None:
        self.func = target
        self.name = name or f"{target.__module__}:{target.__qualname__}"
        self.retry_delay = retry_delay
        #: Seconds an attempt may take, in a child process (taskdesk.runner.pool); None:
        #: TASKDESK_TASK_TIMEOUT_SECONDS.
        self.timeout = timeout
        #: Each attempt runs in a child process even without a timeout, so that a task that
        #: holds the GIL (CPU-bound C code) cannot stall its runner's heartbeats.
        self.process = process
        self.options = options or TaskOptions()
        self._desk = desk
        self._signature = _signature_of(target, self.name)
        #: Its limits by key (checked by TaskDecorator); each task added carries its own.
        self.limit = limit
        _check_name(self.name)
        _check_retry_delay(retry_delay)
        _check_timeout(timeout)
        if not isinstance(process, bool):
            raise BadInput(f"process must be True or False, not {process!r}")

    def __repr__(self) -> str:
        return f"<TaskDefinition {self.name}>"

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run the task here and now, as a plain call (tests, scripts)."""
        return self.call(*args, **kwargs)

    def call(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """As Django's Task.call(): run it in this process, without the registry."""
        handler = self.handler(self._desk.context()) if _is_controller(self.func) else self.func
        return handler(*args, **kwargs)  # type: ignore[return-value]

    def using(self, *, code: str | None = None, replace: bool | None = None,
              priority: int | None = None, run_after: datetime | timedelta | str | None = None,
              max_attempts: int | None = None, queue_name: str | None = None,
              connection: object | None = None) -> TaskDefinition[P, R]:
        """A copy with these options changed (None leaves one as it was)."""
        if queue_name is not None:
            check_queue(queue_name)
        changes: dict[str, Any] = {key: value for key, value in {
            "code": code, "replace": replace, "priority": priority, "run_after": run_after,
            "max_attempts": max_attempts, "connection": connection, "queue_name": queue_name,
        }.items() if value is not None}
        copy: TaskDefinition[P, R] = TaskDefinition(
            self.func, desk=self._desk, name=self.name, retry_delay=self.retry_delay,
            options=dataclasses.replace(self.options, **changes), timeout=self.timeout,
            process=self.process, limit=self.limit)
        return copy

    def limit_for(self, args: JsonObject) -> TaskLimit | None:
        """The limit by key of its task with these args (None: it has no limits)."""
        return None if self.limit is None else self.limit.for_task(self.name, args)

    def parameters(self) -> tuple[str, ...]:
        """The names its args may fill (what `limit_key` may name)."""
        return tuple(name for name, parameter in self._signature.parameters.items()
                     if parameter.kind is not inspect.Parameter.VAR_KEYWORD)

    def enqueue(self, *args: P.args, **kwargs: P.kwargs) -> TaskHandle:
        """Add a pending task with these arguments; returns it as stored, as a handle that
        can be read again and waited for (taskdesk.results)."""
        options = self.options
        return self._handle(self._desk.tasks.add(
            options.code or self.name, self.name, self.bind(*args, **kwargs),
            priority=options.priority, run_at=options.run_after,
            max_attempts=options.max_attempts, replace=self._replaces(),
            connection=options.connection, queue=options.queue_name,
        ))

    def enqueue_many(self, calls: Iterable[Mapping[str, Any]]) -> list[TaskHandle]:
        """Add one pending task per mapping of keyword arguments, in one transaction (all or
        none: one bad call adds nothing); returns them as stored, in order, as handles. With
        a `code` (using), they share it, and only the last of the batch stays."""
        options = self.options
        registry = self._desk.tasks
        run_at = registry.moment(options.run_after)
        news = [NewTask(code=options.code or self.name, action=self.name,
                        args=self._bind_call(n, call), priority=options.priority,
                        run_at=run_at, max_attempts=options.max_attempts,
                        queue=options.queue_name) for n, call in enumerate(calls)]
        added = registry.add_many(news, replace=self._replaces(), connection=options.connection)
        return [self._handle(task) for task in added]

    def _handle(self, task: Task) -> TaskHandle:
        desk = self._desk
        return TaskHandle.of(task, lambda: desk.tasks)

    def _replaces(self) -> bool:
        options = self.options
        return options.code is not None if options.replace is None else options.replace

    def _bind_call(self, n: int, call: object) -> JsonObject:
        if not isinstance(call, Mapping) or not all(isinstance(key, str) for key in call):
            raise BadArgs(f"{self.name}.enqueue_many: call {n} must be a mapping of keyword "
                          f"arguments with text keys, not {call!r:.80}")
        try:
            return self.bind(**call)
        except BadArgs as error:
            raise BadArgs(f"call {n}: {error}") from None

    def bind(self, /, *args: Any, **kwargs: Any) -> JsonObject:
        """The arguments as the task's args (keyword arguments), or BadArgs saying why not."""
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as error:
            raise BadArgs(f"{self.name}{self._signature}: {error}") from None
        values: JsonObject = {}
        for name, value in bound.arguments.items():
            if self._signature.parameters[name].kind is inspect.Parameter.VAR_KEYWORD:
                values.update(value)
            else:
                values[name] = value
        return check_args(values)

    def handler(self, context: Context) -> Handler:
        """What a runner calls with the task's args."""
        if _is_controller(self.func):
            return getattr(self.func(context), DEFAULT_METHOD)  # type: ignore[no-any-return]
        return self.func  # type: ignore[no-any-return]


def _is_controller(target: object) -> bool:
    return isinstance(target, type) and issubclass(target, Controller)


def _signature_of(target: Any, name: str) -> inspect.Signature:
    """The parameters args bind to; only those a JSON object can fill."""
    if _is_controller(target):
        signature = inspect.signature(partial(getattr(target, DEFAULT_METHOD), None))
    elif callable(target):
        signature = inspect.signature(target)
    else:
        raise BadInput(f"@task needs a function or a Controller subclass, not {target!r}")
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.VAR_POSITIONAL):
            raise BadInput(f"task {name}: parameter {parameter} cannot be given by keyword, "
                           "and a task's args are keyword arguments")
    return signature


def _check_name(name: str) -> None:
    if len(name) > MAX_NAME_LENGTH or "<" in name:
        raise BadInput(f"task name {name!r}: a task defined inside a function, or one whose "
                       f"name is over {MAX_NAME_LENGTH} characters, needs name=…")
    if name.startswith(ROUTE_PREFIX):
        raise BadInput(f"task name {name!r}: names starting with {ROUTE_PREFIX} are routes "
                       "of extensions")
    parse_action(name)  # a name is the task's action: it must read as one


def _check_retry_delay(retry_delay: float | None) -> None:
    if retry_delay is None:
        return
    if isinstance(retry_delay, bool) or not isinstance(retry_delay, int | float) or not (
            0 <= retry_delay <= MAX_DELAY_SECONDS):
        raise BadInput(f"retry_delay must be 0 to {MAX_DELAY_SECONDS:g} seconds, "
                       f"not {retry_delay!r}")


def _check_timeout(timeout: float | None) -> None:
    if timeout is None:
        return
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not (
            0 <= timeout <= MAX_TASK_TIMEOUT_SECONDS):
        raise BadInput(f"timeout must be 0 to {MAX_TASK_TIMEOUT_SECONDS:g} seconds (0: none), "
                       f"not {timeout!r}")


class TaskDecorator:
    """What `@desk.task(…)` with options returns: registers what it decorates."""

    def __init__(self, desk: Desk, register: Callable[[TaskDefinition[Any, Any]], None],
                 options: TaskOptions, *, name: str | None, retry_delay: float | None,
                 timeout: float | None = None, process: bool = False,
                 limits: Limits | None = None) -> None:
        self.desk = desk
        self.register = register
        self.options = options
        self.name = name
        self.retry_delay = retry_delay
        self.timeout = timeout
        self.process = process
        self.limits = limits or Limits()
        # Checked now, as the other options are (limit_key once the function is known).
        limit_spec(self.limits.concurrency, self.limits.rate, None, ())

    @overload
    def __call__(self, target: type[Controller], /) -> TaskDefinition[..., Any]: ...

    @overload
    def __call__(self, target: Callable[P, R], /) -> TaskDefinition[P, R]: ...

    def __call__(self, target: Any, /) -> Any:
        definition: TaskDefinition[Any, Any] = TaskDefinition(
            target, desk=self.desk, name=self.name, retry_delay=self.retry_delay,
            options=self.options, timeout=self.timeout, process=self.process)
        limits = self.limits
        definition.limit = limit_spec(limits.concurrency, limits.rate, limits.arg,
                                      definition.parameters())
        self.register(definition)
        return definition


@dataclass(frozen=True)
class Limits:
    """@desk.task's concurrency_limit, rate_limit and limit_key as given (unchecked)."""

    concurrency: object = None
    rate: object = None
    arg: object = None
