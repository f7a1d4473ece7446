"""Workflows: tasks with dependencies (`after`), each run when its parents have completed.
Frozen values, no I/O; the store keeps them (store/workflows.py).

A task that waits for its parents is stored pending with run_at at WAITING_FOR_PARENTS, a
sentinel no claim ever reaches, and its own run_at kept on its node; the transaction that
ends its last parent gives it that run_at (or now). Views never show the sentinel as a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from taskdesk.errors import BadWorkflow
from taskdesk.models.tasks import NewTask

#: The run_at of a task waiting for its workflow parents: never due.
WAITING_FOR_PARENTS = datetime(9000, 1, 1, tzinfo=UTC)
MAX_NAME_LENGTH = 128
#: A node's outcome once its task ended for good (None while it may still run).
ENDED = ("complete", "failed", "cancelled")
#: What a task cancelled by its workflow says (its response).
CANCELLED_BY_PARENT = "cancelled: a parent in its workflow failed or was cancelled"


def waits_for_parents(run_at: datetime | None) -> bool:
    """Whether a task's run_at is the sentinel of one waiting for its parents."""
    return run_at is not None and run_at >= WAITING_FOR_PARENTS


def check_workflow_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise BadWorkflow(f"a workflow needs a name (text, not empty), not {name!r}")
    if len(name) > MAX_NAME_LENGTH:
        raise BadWorkflow(f"a workflow's name is at most {MAX_NAME_LENGTH} characters")
    return name


@dataclass(frozen=True, kw_only=True)
class NewNode:
    """One task of a workflow to add: its parents are positions of earlier nodes."""

    task: NewTask
    parents: tuple[int, ...] = ()
    run_on_failure: bool = False


def check_nodes(nodes: list[NewNode]) -> None:
    """Each node's parents come before it (so there is no cycle), each once."""
    if not nodes:
        raise BadWorkflow("a workflow needs at least one task")
    for position, node in enumerate(nodes):
        if len(set(node.parents)) != len(node.parents):
            raise BadWorkflow(f"task {position} names a parent twice")
        if any(not 0 <= parent < position for parent in node.parents):
            raise BadWorkflow(f"task {position}: its parents must be earlier tasks of the "
                              "workflow (a cycle?)")


@dataclass(frozen=True, kw_only=True)
class WorkflowNodeInfo:
    """One task of a stored workflow: its current status (its task's, or the outcome kept
    once the task was pruned), its parents, and the run_at it waits for."""

    task_id: int
    code: str
    action: str
    status: str
    parents: tuple[int, ...]
    run_on_failure: bool
    parents_left: int
    waiting_for_parents: bool
    date_ended: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class WorkflowInfo:
    """A stored workflow, its tasks in a topological order (parents first)."""

    workflow_id: int
    name: str
    date_added: datetime
    nodes: tuple[WorkflowNodeInfo, ...] = field(default=())

    def counts(self) -> dict[str, int]:
        """How many of its tasks have each status."""
        found: dict[str, int] = {}
        for node in self.nodes:
            found[node.status] = found.get(node.status, 0) + 1
        return found


@dataclass(frozen=True, kw_only=True)
class TaskWorkflow:
    """The workflow a task belongs to, and its parents there (for `task show`)."""

    workflow_id: int
    name: str
    parents: tuple[int, ...]
    run_on_failure: bool
    waiting_for_parents: bool
