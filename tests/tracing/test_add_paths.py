"""Every way of adding a task opens an enqueue span, and its tasks store its context: the
registry's add, enqueue_many, a workflow, and an add in the caller's own transaction
(a SQLAlchemy connection here; a psycopg connection in test_psycopg_add.py)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from opentelemetry.trace import StatusCode
from sqlalchemy import create_engine

from taskdesk import Taskdesk
from taskdesk.errors import BadInput
from taskdesk.models.tasks import Task
from tests.tracing.app import ok
from tests.tracing.conftest import Spans
from tests.tracing.test_spans import is_child_of, stored, traceparent


def only_enqueue(spans: Spans, tasks: Sequence[Task], desk: Taskdesk) -> None:
    """One enqueue span, whose context every task stores."""
    [enqueue] = spans.named("enqueue")
    assert {stored(desk, task.task_id).trace_context for task in tasks} == {traceparent(enqueue)}
    assert {task.trace_context for task in tasks} == {traceparent(enqueue)}  # as returned


def test_the_registry_add(desk: Taskdesk, spans: Spans) -> None:
    task = desk.tasks.add("by-hand", "traced.ok")

    only_enqueue(spans, [task], desk)


def test_enqueue_many_is_one_span_for_the_batch(desk: Taskdesk, spans: Spans) -> None:
    tasks = ok.enqueue_many([{}, {}, {}])

    only_enqueue(spans, tasks, desk)
    [enqueue] = spans.named("enqueue")
    assert enqueue.attributes is not None
    assert enqueue.attributes["messaging.batch.message_count"] == 3
    desk.runner().drain()  # each first attempt is a child of the batch's span
    attempts = spans.named("run")
    assert len(attempts) == len(tasks) == 3
    assert all(is_child_of(attempt, enqueue) for attempt in attempts)


def test_a_workflow(desk: Taskdesk, spans: Spans) -> None:
    flow = desk.workflow("traced")
    first = flow.add(ok)
    flow.add(ok, after=[first])

    tasks = flow.enqueue()

    only_enqueue(spans, tasks, desk)
    [enqueue] = spans.named("enqueue")
    assert enqueue.name == "enqueue traced.ok"


def test_in_a_sqlalchemy_transaction(desk: Taskdesk, spans: Spans) -> None:
    engine = create_engine(desk.settings.database_url)
    try:
        with engine.begin() as connection:
            task = ok.using(connection=connection).enqueue()
    finally:
        engine.dispose()

    only_enqueue(spans, [task], desk)


def test_a_refused_add_ends_its_span_in_error(desk: Taskdesk, spans: Spans) -> None:
    with pytest.raises(BadInput):
        ok.using(connection=object()).enqueue()  # no transaction to add it in

    [enqueue] = spans.named("enqueue")
    assert enqueue.status.status_code is StatusCode.ERROR
    assert [event.name for event in enqueue.events] == ["exception"]
    assert desk.tasks.count() == 0
