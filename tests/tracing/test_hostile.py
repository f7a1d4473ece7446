"""A task's stored trace context is text from the database: a hand-edited or damaged value
is ignored (the attempt is traced as a task enqueued without one), never a crash."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from taskdesk import Taskdesk
from taskdesk.models.tasks import Status
from taskdesk.store.sql import SqlStore
from taskdesk.store.sql.schema import task as task_table
from taskdesk.tracing import span_context_of
from tests.tracing.app import ok
from tests.tracing.conftest import Spans
from tests.tracing.test_spans import stored

VALID = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
GARBAGE = [
    "garbage",
    " ",
    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",  # no flags
    "00-00000000000000000000000000000000-b7ad6b7169203331-01",  # an invalid trace id
    "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",  # an invalid span id
    "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  # a forbidden version
    "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01",  # capitals are not W3C's
    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\x00; DROP TABLE task",
    "00-éééééééééééééééééééééééééééééééé-b7ad6b7169203331-01",
    "{\"traceparent\": \"" + VALID + "\"}",
    "x" * 255,
]


@pytest.mark.hostile
@pytest.mark.parametrize("text", [*GARBAGE, "x" * 100_000, None, "", 42, b"00-", ["00"]])
def test_what_is_not_a_traceparent_names_no_span(text: object) -> None:
    assert span_context_of(text) is None


def test_a_valid_traceparent_names_its_span() -> None:
    found = span_context_of(VALID)

    assert found is not None
    assert (found.trace_id, found.span_id) == (0x0AF7651916CD43DD8448EB211C80319C,
                                               0xB7AD6B7169203331)


@pytest.mark.hostile
@pytest.mark.parametrize("text", GARBAGE)
def test_a_hand_edited_context_is_ignored(desk: Taskdesk, spans: Spans, text: str) -> None:
    added = ok.enqueue()
    assert isinstance(desk.store, SqlStore)
    with desk.store.engine.begin() as connection:  # as someone editing the row by hand
        connection.execute(update(task_table).where(task_table.c.task_id == added.task_id)
                           .values(trace_context=text.replace("\x00", "")))

    desk.runner().drain()

    assert stored(desk, added.task_id).status is Status.COMPLETE
    [attempt] = spans.named("run")
    assert attempt.parent is None
    assert not attempt.links
    assert attempt.attributes is not None
    assert attempt.attributes["taskdesk.task.outcome"] == "complete"
