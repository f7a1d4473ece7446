"""The workflows' storage seam, reached as `store.workflows` on every Store: a workflow's
tasks are added with their dependencies in one transaction, and the end of a parent (in
finish, finish_many and recover, in the same transaction) settles its children:

- a parent that completed lowers each child's count of parents left (an UPDATE … RETURNING,
  which serialises concurrent parents on the child's row: exactly one of them sees 0), and
  the child whose count reaches 0 is released (its wanted run_at, or now);
- a parent that failed for good or was cancelled cancels its waiting children, transitively,
  except those added with run_on_failure, which count it as ended like a completed parent.

A parent's response is copied to its node when it ends, so that its children read it
(`parent_results`) after the task itself is pruned. The contract suite
(tests/store/test_workflow_store.py) runs it on memory, SQLite and PostgreSQL.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Protocol

from taskdesk.models.tasks import Task
from taskdesk.models.workflows import NewNode, TaskWorkflow, WorkflowInfo


class WorkflowStore(Protocol):
    def add(self, name: str, nodes: Sequence[NewNode]) -> tuple[int, list[Task]]:
        """Add the workflow and its tasks (never replacing waiting tasks by code), in one
        transaction; a node with parents waits for them. Returns the workflow's id and the
        tasks in the nodes' order."""
        ...

    def list(self, *, limit: int = 100) -> list[WorkflowInfo]:
        """The newest workflows first, each with its nodes."""
        ...

    def get(self, workflow_id: int) -> WorkflowInfo | None:
        """One workflow with its nodes in a topological order, or None."""
        ...

    def of_task(self, task_id: int) -> TaskWorkflow | None:
        """The workflow a task belongs to, with its parents; None for a task of none."""
        ...

    def parent_results(self, task_id: int) -> dict[int, str | None]:
        """Each parent's response by parent task id (parents that have not completed:
        None)."""
        ...

    def cancel_dependents(self, task_ids: Sequence[int]) -> builtins.list[int]:
        """These tasks were cancelled (or failed for good): cancel their waiting
        dependents, transitively, except run_on_failure ones (released once their parents
        have all ended). Returns the ids cancelled. (Store-level; finish and recover call
        the same cascade in their own transaction.)"""
        ...
