"""The store keeps a task's trace context as added, and gives it back to the claim (the
runner reads it there): on every backend, memory too."""

from __future__ import annotations

import pytest

from taskdesk.models.tasks import NewTask
from taskdesk.store import Store
from tests.conftest import BACKENDS

CONTEXT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Every backend, memory too (this package's conftest narrows it to the real ones)."""
    name: str = request.param
    if name == "postgres":
        request.getfixturevalue("postgres_url")
    return name


def test_the_trace_context_goes_from_add_to_claim(store: Store) -> None:
    traced, plain = store.add([
        NewTask(code="traced", action="a:b", max_attempts=1, trace_context=CONTEXT),
        NewTask(code="plain", action="a:b", max_attempts=1),
    ])

    assert (traced.trace_context, plain.trace_context) == (CONTEXT, None)
    assert [store.get(task.task_id) for task in (traced, plain)] == [traced, plain]
    claimed = store.claim("runner-1", lease_seconds=30, limit=2)
    assert [(task.code, task.trace_context) for task in claimed] == [("traced", CONTEXT),
                                                                     ("plain", None)]
