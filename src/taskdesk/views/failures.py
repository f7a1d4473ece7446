"""The shape of one error class's failed tasks (`task list --by-error --json`, GET
/api/failures)."""

from __future__ import annotations

from typing_extensions import TypedDict  # pydantic (the API's schemas) needs it on 3.11

from taskdesk.clock import isoformat
from taskdesk.models.failures import FailureGroup

#: Of the example's response (its message and traceback) in a view; `task show` has it whole.
EXAMPLE_CHARS = 16_384


class FailureView(TypedDict):
    error_class: str | None  # None: failed with no class recorded
    count: int
    first_seen: str | None  # when the first of them failed (ISO 8601, UTC)
    last_seen: str | None  # when the latest of them failed
    example_task_id: int  # the latest of them
    example_response: str | None  # its message and traceback, cut at EXAMPLE_CHARS
    example_cut: bool  # whether it was cut


def failure_view(group: FailureGroup) -> FailureView:
    response = group.example_response
    cut = response is not None and len(response) > EXAMPLE_CHARS
    return FailureView(
        error_class=group.error_class, count=group.count,
        first_seen=isoformat(group.first_seen), last_seen=isoformat(group.last_seen),
        example_task_id=group.example_task_id,
        example_response=response[:EXAMPLE_CHARS] if response is not None and cut else response,
        example_cut=cut)
