"""Tracing with OpenTelemetry: a span for each enqueue and for each attempt (docs/tracing.md).

Every OpenTelemetry import of taskdesk is here, guarded: without the extra `taskdesk[otel]`
(or with TASKDESK_TRACING=off) the enqueue and the attempt get a stand-in that does nothing,
and nothing is stored. So they do with the API installed but no tracer provider set up (or
OpenTelemetry's no-op one): no span is even begun, since it could only be a no-op span.

- The enqueue span (PRODUCER) covers one add, however many tasks it writes (a schedule's
  firing is one too: schedules/firing.py); each task stores its context as W3C
  `traceparent` text (task.trace_context), in the add's own statement.
- The attempt span (CONSUMER) covers one attempt in the runner's process, whether the task
  runs in a thread or in a child process; it ends once the outcome is known. A first attempt
  is a child of the enqueue span; a later one (a retry, a recovery) starts a new trace with a
  link to it, as OpenTelemetry's messaging conventions advise for a message processed again.

A task that runs in a child process is given its attempt span's context (`current_context`
in the runner, `resumed` in the child): the spans the task makes nest in its attempt's, and
the child flushes them before it ends (`flush`), if the application set up a tracer provider
there (its module, which the child imports, is the place).

A stored context is text from the database (hand-edited, damaged): one that is not a valid
traceparent is ignored, and the attempt is traced as a task enqueued without one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import replace
from typing import Any

from taskdesk.models.tasks import NewTask, Outcome, Status, Task

try:
    from opentelemetry import context as otel_context
    from opentelemetry import trace
    from opentelemetry.context import Context
    from opentelemetry.trace import Link, Span, SpanContext, SpanKind, StatusCode
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
except ImportError:  # the extra is not installed: taskdesk traces nothing
    INSTALLED = False
else:
    INSTALLED = True
    #: Providers whose spans are never recorded: none set up yet, or OpenTelemetry's no-op.
    _NO_PROVIDER = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)

SYSTEM = "taskdesk"  # messaging.system
TRACEPARENT = "traceparent"  # the W3C header whose value task.trace_context holds
MAX_CONTEXT = 255  # characters of task.trace_context; longer text is no traceparent
MESSAGE_BYTES = 1024  # of a failed attempt's first line, as the span's status says it
FLUSH_SECONDS = 2.0  # a child process's wait for its spans' export (its runner allows 5 s)
#: taskdesk.task.outcome of an attempt, by the status its Outcome gives the task.
OUTCOMES = {Status.COMPLETE: "complete", Status.PENDING: "retry", Status.FAILED: "failed",
            Status.CANCELLED: "cancelled"}


class Enqueue:
    """One add's tasks, each stamped with its enqueue span's context (or as given when
    nothing is traced), and what the span learns once they are written."""

    def __init__(self, tasks: Sequence[NewTask], span: Span | None = None) -> None:
        self.tasks = tasks
        self._span = span

    def added(self, tasks: list[Task]) -> list[Task]:
        """The added tasks, as they were: their ids go on the span when it is one task's."""
        if len(tasks) == 1:
            self._name(tasks[0].task_id)
        return tasks

    def fired(self, schedule: str, claimed: bool, task_id: int | None) -> None:
        """A schedule's firing: which schedule, and whether this runner's claim of it won
        (a lost race adds nothing)."""
        if self._span is not None:
            self._span.set_attribute("taskdesk.schedule.code", schedule)
            self._span.set_attribute("taskdesk.schedule.claimed", claimed)
        if task_id is not None:
            self._name(task_id)

    def _name(self, task_id: int) -> None:
        """The one task the span enqueued."""
        if self._span is not None:
            self._span.set_attribute("messaging.message.id", str(task_id))
            self._span.set_attribute("taskdesk.task.id", task_id)


class Attempt:
    """One attempt's span (or none when nothing is traced): `ended` gives it the outcome."""

    def __init__(self, span: Span | None = None) -> None:
        self._span = span

    def ended(self, outcome: Outcome) -> Outcome:
        """The outcome, as it was, after the span was told how the attempt ended."""
        if self._span is not None:
            _tell_outcome(self._span, outcome)
        return outcome


_UNTRACED = Attempt()


def is_on(enabled: bool) -> bool:
    """Whether taskdesk traces: the extra installed and TASKDESK_TRACING not off."""
    return INSTALLED and enabled


def _recording(enabled: bool) -> bool:
    """Whether spans begun now may be recorded: tracing on, and a tracer provider set up
    (asked at each call: an application may set one up after taskdesk was imported)."""
    return is_on(enabled) and not isinstance(trace.get_tracer_provider(), _NO_PROVIDER)


def enqueueing(tasks: Sequence[NewTask], *,
               enabled: bool) -> AbstractContextManager[Enqueue]:
    """The enqueue span around one add (current while it runs, so that a database's own
    instrumentation nests in it); it records the add's error if there is one."""
    if not (tasks and _recording(enabled)):
        return nullcontext(Enqueue(tasks))  # the add's hot path: no generator to run
    return _enqueue_span(tasks)


def attempting(task: Task, *, enabled: bool) -> AbstractContextManager[Attempt]:
    """The attempt span around one attempt (current while it runs: the task's own spans
    nest in it when it runs in a thread); an error that escapes it is recorded."""
    if not _recording(enabled):
        return nullcontext(_UNTRACED)
    return _attempt_span(task)


@contextmanager
def _enqueue_span(tasks: Sequence[NewTask]) -> Iterator[Enqueue]:
    tracer = trace.get_tracer(__name__)
    with tracer.start_as_current_span(_enqueue_name(tasks), kind=SpanKind.PRODUCER,
                                      attributes=_enqueue_attributes(tasks)) as span:
        yield Enqueue(_stamped(tasks, span), span)


@contextmanager
def _attempt_span(task: Task) -> Iterator[Attempt]:
    """A first attempt is a child of the enqueue span; a later one, a new trace linked to it."""
    enqueued = span_context_of(task.trace_context)
    parent, links = Context(), []  # a trace of its own, unless a first attempt's
    if enqueued is not None and task.attempts <= 1:
        parent = trace.set_span_in_context(trace.NonRecordingSpan(enqueued), Context())
    elif enqueued is not None:
        links = [Link(enqueued, {"taskdesk.link": "enqueued"})]
    tracer = trace.get_tracer(__name__)
    with tracer.start_as_current_span(f"run {task.action}", context=parent,
                                      kind=SpanKind.CONSUMER, links=links,
                                      attributes=_attempt_attributes(task)) as span:
        yield Attempt(span)


def current_context(*, enabled: bool) -> str | None:
    """The traceparent of this thread's current span (the attempt's, where a runner starts a
    child process for it); None when nothing is traced."""
    if not _recording(enabled):
        return None
    return _traceparent(otel_context.get_current())


@contextmanager
def resumed(text: str | None, *, enabled: bool) -> Iterator[None]:
    """In a task's child process: the span `text` names (its attempt's) is the current one
    while the task runs, so that the spans the task makes nest in it."""
    found = span_context_of(text) if is_on(enabled) else None
    if found is None:
        yield
        return
    token = otel_context.attach(trace.set_span_in_context(trace.NonRecordingSpan(found)))
    try:
        yield
    finally:
        otel_context.detach(token)


def flush(*, enabled: bool) -> None:
    """Before a child process ends (multiprocessing runs no atexit hook there): the spans
    its task made are exported, waiting at most FLUSH_SECONDS; failures are the exporter's."""
    if not is_on(enabled):
        return
    force_flush = getattr(trace.get_tracer_provider(), "force_flush", None)  # the SDK's
    if callable(force_flush):
        with suppress(Exception):
            force_flush(int(FLUSH_SECONDS * 1000))


def span_context_of(text: object) -> SpanContext | None:
    """The span context a stored traceparent names, or None for anything that is not a
    valid one (nothing stored, or text hand-edited into the row)."""
    if not INSTALLED or not isinstance(text, str) or not text or len(text) > MAX_CONTEXT:
        return None
    try:
        context = TraceContextTextMapPropagator().extract({TRACEPARENT: text})
        found = trace.get_current_span(context).get_span_context()
    except Exception:  # the propagator is careful; a hostile value must not stop a runner
        return None
    return found if found.is_valid and found.is_remote else None


def _stamped(tasks: Sequence[NewTask], span: Span) -> Sequence[NewTask]:
    """The tasks with the span's traceparent; as they were when the span's context is not
    valid (OpenTelemetry's API without a tracer provider: nothing to join)."""
    text = _traceparent(trace.set_span_in_context(span, Context()))
    if text is None:
        return tasks
    return [replace(new, trace_context=text) for new in tasks]


def _traceparent(context: Context) -> str | None:
    """The W3C traceparent of the context's span; None if it has no valid one."""
    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier, context)
    return carrier.get(TRACEPARENT)


def _enqueue_name(tasks: Sequence[NewTask]) -> str:
    actions = {new.action for new in tasks}
    return f"enqueue {tasks[0].action}" if len(actions) == 1 else "enqueue"


def _enqueue_attributes(tasks: Sequence[NewTask]) -> dict[str, Any]:
    first = tasks[0]
    attributes: dict[str, Any] = {"messaging.system": SYSTEM,
                                  "messaging.operation.type": "send",
                                  "messaging.operation.name": "enqueue"}
    if all(new.queue == first.queue for new in tasks):
        attributes["messaging.destination.name"] = first.queue
        attributes["taskdesk.task.queue"] = first.queue
    if all(new.action == first.action for new in tasks):
        attributes["taskdesk.task.action"] = first.action
    if len(tasks) == 1:
        attributes["taskdesk.task.code"] = first.code
    else:
        attributes["messaging.batch.message_count"] = len(tasks)
    return attributes


def _attempt_attributes(task: Task) -> dict[str, Any]:
    return {"messaging.system": SYSTEM, "messaging.operation.type": "process",
            "messaging.operation.name": "run", "messaging.destination.name": task.queue,
            "messaging.message.id": str(task.task_id),
            "taskdesk.task.id": task.task_id, "taskdesk.task.code": task.code,
            "taskdesk.task.action": task.action, "taskdesk.task.queue": task.queue,
            "taskdesk.task.attempt": task.attempts,
            "taskdesk.task.max_attempts": task.max_attempts}


def _tell_outcome(span: Span, outcome: Outcome) -> None:
    """The outcome on the span: a failed attempt (retried or not) is an ERROR, with the
    exception as the attempt recorded it (its class, message and traceback)."""
    span.set_attribute("taskdesk.task.outcome", OUTCOMES.get(outcome.status,
                                                             outcome.status.value))
    if outcome.status not in (Status.FAILED, Status.PENDING):
        return
    message, _, details = (outcome.response or outcome.comment).partition("\n")
    kind = outcome.error_class or "error"
    message = message.removeprefix(f"{kind.rpartition('.')[2]}: ")  # as the attempt wrote it
    span.set_attribute("error.type", kind)
    span.add_event("exception", {"exception.type": kind, "exception.message": message,
                                 "exception.stacktrace": details.strip()})
    span.set_status(StatusCode.ERROR, message[:MESSAGE_BYTES])
