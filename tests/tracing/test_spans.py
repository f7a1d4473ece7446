"""A trace as an exporter sees it: enqueue span → attempt span, a retry in a trace of its
own linked to the enqueue span, on SQLite and PostgreSQL, in a thread and in a child."""

from __future__ import annotations

from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from taskdesk import Taskdesk
from taskdesk.definitions import TaskDefinition
from taskdesk.models.tasks import Status, Task
from tests.tracing.app import (
    broken,
    child_exports,
    child_flaky,
    child_where,
    flaky,
    ok,
    where,
)
from tests.tracing.conftest import Spans


def traceparent(span: ReadableSpan) -> str:
    """The W3C traceparent of a span: what the task stores."""
    context = span.context
    assert context is not None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def stored(desk: Taskdesk, task_id: int) -> Task:
    found = desk.store.get(task_id)
    assert found is not None
    return found


def run_until_ended(desk: Taskdesk, task_id: int) -> Task:
    """Drain until the task ends: a retry due "now" may fall a moment after a drain's last
    claim (PostgreSQL's clock), and a drain stops when nothing is due."""
    for _ in range(20):
        desk.runner().drain()
        task = stored(desk, task_id)
        if task.status in (Status.COMPLETE, Status.FAILED):
            return task
    raise AssertionError(f"task {task_id} is still {task.status.value}")


def is_child_of(span: ReadableSpan, parent: ReadableSpan) -> bool:
    assert span.context is not None
    assert parent.context is not None
    return (span.parent is not None and span.parent.span_id == parent.context.span_id
            and span.context.trace_id == parent.context.trace_id)


def test_the_first_attempt_is_a_child_of_the_enqueue_span(desk: Taskdesk, spans: Spans) -> None:
    with spans.tracer.start_as_current_span("request") as request:
        added = ok.enqueue()

    desk.runner().drain()

    [enqueue] = spans.named("enqueue")
    [attempt] = spans.named("run")
    assert (enqueue.name, attempt.name) == ("enqueue traced.ok", "run traced.ok")
    assert enqueue.parent is not None
    assert enqueue.parent.span_id == request.get_span_context().span_id  # inside the request
    assert is_child_of(attempt, enqueue)
    assert (enqueue.kind, attempt.kind) == (SpanKind.PRODUCER, SpanKind.CONSUMER)
    assert stored(desk, added.task_id).trace_context == traceparent(enqueue)
    assert enqueue.attributes is not None
    assert attempt.attributes is not None
    assert dict(enqueue.attributes) == {
        "messaging.system": "taskdesk", "messaging.operation.type": "send",
        "messaging.operation.name": "enqueue", "messaging.destination.name": "default",
        "messaging.message.id": str(added.task_id), "taskdesk.task.id": added.task_id,
        "taskdesk.task.code": "traced.ok", "taskdesk.task.action": "traced.ok",
        "taskdesk.task.queue": "default"}
    assert dict(attempt.attributes) == {
        "messaging.system": "taskdesk", "messaging.operation.type": "process",
        "messaging.operation.name": "run", "messaging.destination.name": "default",
        "messaging.message.id": str(added.task_id), "taskdesk.task.id": added.task_id,
        "taskdesk.task.code": "traced.ok", "taskdesk.task.action": "traced.ok",
        "taskdesk.task.queue": "default", "taskdesk.task.attempt": 1,
        "taskdesk.task.max_attempts": 3, "taskdesk.task.outcome": "complete"}
    assert attempt.status.status_code is StatusCode.UNSET
    assert not attempt.events


def test_a_retry_starts_a_new_trace_linked_to_the_enqueue_span(
    desk: Taskdesk, spans: Spans, tmp_path: Path,
) -> None:
    added = flaky.enqueue(marker=str(tmp_path / "marker"))

    assert run_until_ended(desk, added.task_id).status is Status.COMPLETE
    [enqueue] = spans.named("enqueue")
    first, second = spans.named("run")
    assert enqueue.parent is None  # nothing was current: the enqueue starts the trace
    assert is_child_of(first, enqueue)
    assert not first.links
    _assert_failed(first, "ValueError", "the first attempt fails", outcome="retry")
    assert second.parent is None
    assert enqueue.context is not None
    assert second.context is not None
    assert second.context.trace_id != enqueue.context.trace_id
    [link] = second.links
    assert (link.context.trace_id, link.context.span_id) == (enqueue.context.trace_id,
                                                             enqueue.context.span_id)
    assert second.attributes is not None
    assert (second.attributes["taskdesk.task.attempt"],
            second.attributes["taskdesk.task.outcome"]) == (2, "complete")


def test_an_attempt_in_a_child_process_is_traced_in_its_runner(
    desk: Taskdesk, spans: Spans, tmp_path: Path,
) -> None:
    added = child_flaky.enqueue(marker=str(tmp_path / "marker"))

    assert run_until_ended(desk, added.task_id).status is Status.COMPLETE
    [enqueue] = spans.named("enqueue")
    first, second = spans.named("run traced.child_flaky")
    assert is_child_of(first, enqueue)
    _assert_failed(first, "ValueError", "the first attempt fails", outcome="retry")
    assert [link.context.span_id for link in second.links] == [
        enqueue.context.span_id if enqueue.context else None]
    assert second.attributes is not None
    assert second.attributes["taskdesk.task.outcome"] == "complete"


@pytest.mark.parametrize("definition", [where, child_where], ids=["thread", "child"])
def test_the_task_s_own_spans_nest_in_its_attempt_s(
    desk: Taskdesk, spans: Spans, definition: TaskDefinition[[], str],
) -> None:
    added = definition.enqueue()

    desk.runner().drain()

    [attempt] = spans.named("run")
    assert attempt.context is not None
    expected = f"{attempt.context.trace_id:032x}-{attempt.context.span_id:016x}"
    assert stored(desk, added.task_id).response == expected


def test_a_child_exports_the_task_s_spans_before_it_ends(
    desk: Taskdesk, spans: Spans, tmp_path: Path,
) -> None:
    exported = tmp_path / "exported"

    child_exports.enqueue(path=str(exported))
    desk.runner().drain()

    [attempt] = spans.named("run")
    assert attempt.context is not None
    assert exported.read_text() == f"inside the task {attempt.context.span_id:016x}\n"


def test_a_task_failed_for_good_ends_its_span_in_error(desk: Taskdesk, spans: Spans) -> None:
    broken.enqueue()

    desk.runner().drain()

    [attempt] = spans.named("run")
    _assert_failed(attempt, "LookupError", "nothing here", outcome="failed")


def _assert_failed(span: ReadableSpan, kind: str, message: str, *, outcome: str) -> None:
    """An attempt's span in error, with the exception as the attempt recorded it."""
    assert span.attributes is not None
    assert span.attributes["taskdesk.task.outcome"] == outcome
    assert span.attributes["error.type"] == kind
    assert (span.status.status_code, span.status.description) == (StatusCode.ERROR, message)
    [event] = span.events
    assert event.attributes is not None
    assert (event.name, event.attributes["exception.type"],
            event.attributes["exception.message"]) == ("exception", kind, message)
    stacktrace = str(event.attributes["exception.stacktrace"])
    assert stacktrace.startswith("Traceback")
    assert f"{kind}: {message}" in stacktrace
