"""MemoryWorkflowStore: workflows in plain Python, the reference for the SQL ones
(store/workflows.py has the rules). It shares its owner's lock, so the cascade that finish
and recover call (`settle`) is part of their one atomic step."""

from __future__ import annotations

import builtins
import copy
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from taskdesk.models.tasks import Status, Task
from taskdesk.models.workflows import (
    CANCELLED_BY_PARENT,
    WAITING_FOR_PARENTS,
    NewNode,
    TaskWorkflow,
    WorkflowInfo,
    WorkflowNodeInfo,
    waits_for_parents,
)

if TYPE_CHECKING:
    from taskdesk.store.memory.tasks import MemoryTaskVerbs


@dataclass
class _Node:
    task_id: int
    workflow_id: int
    code: str
    action: str
    run_on_failure: bool
    parents_left: int
    run_at: datetime | None
    parents: dict[int, str | None] = field(default_factory=dict)  # id → its outcome
    outcome: str | None = None
    response: str | None = None
    date_ended: datetime | None = None


@dataclass
class _Saved:
    names: dict[int, tuple[str, datetime]]
    nodes: dict[int, _Node]
    next_id: int


class MemoryWorkflowStore:
    def __init__(self, owner: MemoryTaskVerbs, lock: threading.RLock) -> None:
        self.owner = owner
        self._lock = lock
        self._names: dict[int, tuple[str, datetime]] = {}
        self._nodes: dict[int, _Node] = {}  # by task id, in the order added
        self._next_id = 1

    def snapshot(self) -> _Saved:
        with self._lock:
            return _Saved(dict(self._names), copy.deepcopy(self._nodes), self._next_id)

    def restore(self, saved: _Saved) -> None:
        with self._lock:
            self._names, self._nodes, self._next_id = saved.names, saved.nodes, saved.next_id

    def add(self, name: str, nodes: Sequence[NewNode]) -> tuple[int, list[Task]]:
        news = [replace(n.task, run_at=WAITING_FOR_PARENTS) if n.parents else n.task
                for n in nodes]
        with self._lock:
            tasks = self.owner.add(news, replace=False)
            workflow_id, self._next_id = self._next_id, self._next_id + 1
            self._names[workflow_id] = (name, self.owner.clock())
            for node, added in zip(nodes, tasks, strict=True):
                self._nodes[added.task_id] = _Node(
                    task_id=added.task_id, workflow_id=workflow_id, code=added.code,
                    action=added.action, run_on_failure=node.run_on_failure,
                    parents_left=len(node.parents),
                    run_at=node.task.run_at if node.parents else None,
                    parents={tasks[p].task_id: None for p in node.parents})
            return workflow_id, tasks

    def list(self, *, limit: int = 100) -> builtins.list[WorkflowInfo]:
        with self._lock:
            return [self._info(i) for i in sorted(self._names, reverse=True)[:limit]]

    def get(self, workflow_id: int) -> WorkflowInfo | None:
        with self._lock:
            return self._info(workflow_id) if workflow_id in self._names else None

    def of_task(self, task_id: int) -> TaskWorkflow | None:
        with self._lock:
            node = self._nodes.get(task_id)
            if node is None:
                return None
            current = self.owner.tasks_by_id().get(task_id)
            return TaskWorkflow(
                workflow_id=node.workflow_id, name=self._names[node.workflow_id][0],
                parents=tuple(sorted(node.parents)), run_on_failure=node.run_on_failure,
                waiting_for_parents=current is not None and waits_for_parents(current.run_at))

    def parent_results(self, task_id: int) -> dict[int, str | None]:
        with self._lock:
            node = self._nodes.get(task_id)
            if node is None:
                return {}
            found = {p: self._nodes[p] for p in sorted(node.parents)}
            return {p: n.response if n.outcome == "complete" else None
                    for p, n in found.items()}

    def end_deleted(self, task_ids: Sequence[int]) -> builtins.list[int]:
        """Tasks deleted by hand: those of a workflow that had not ended end as cancelled,
        for their dependents' sake; returns the ids that cascade cancelled."""
        with self._lock:
            unended = [i for i in task_ids
                       if (node := self._nodes.get(i)) is not None and node.outcome is None]
            return self.settle([(i, "cancelled", None) for i in unended]) if unended else []

    def cancel_dependents(self, task_ids: Sequence[int]) -> builtins.list[int]:
        with self._lock:
            return self.settle([(i, "cancelled", None) for i in task_ids])

    def settle(self, ended: Sequence[tuple[int, str, str | None]]) -> builtins.list[int]:
        """The cascade from these tasks that ended for good (id, outcome, response), under
        the lock: returns the ids cancelled."""
        now = self.owner.clock()
        cancelled: builtins.list[int] = []
        queue = list(ended)
        while queue:
            task_id, outcome, text = queue.pop(0)
            node = self._nodes.get(task_id)
            if node is None:
                continue
            node.outcome, node.response, node.date_ended = outcome, text, now
            for child in self._children(task_id):
                if self._settle_edge(task_id, outcome, child, now):
                    cancelled.append(child.task_id)
                    queue.append((child.task_id, "cancelled", CANCELLED_BY_PARENT))
        return cancelled

    def _settle_edge(self, parent: int, outcome: str, child: _Node, now: datetime) -> bool:
        """The parent ended with `outcome`: lower the child's count (releasing it at 0) or
        cancel it; True when it was cancelled."""
        if child.parents[parent] is not None:
            return False
        child.parents[parent] = outcome
        if child.outcome is not None:
            return False
        if outcome == "complete" or child.run_on_failure:
            child.parents_left -= 1
            if child.parents_left == 0:
                self._release(child, now)
            return False
        return self._cancel(child.task_id, now)

    def _children(self, task_id: int) -> builtins.list[_Node]:
        return [n for n in self._nodes.values() if task_id in n.parents]

    def _release(self, node: _Node, now: datetime) -> None:
        tasks = self.owner.tasks_by_id()
        current = tasks.get(node.task_id)
        if current is None or current.status is not Status.PENDING or not waits_for_parents(
                current.run_at):
            return
        run_at = node.run_at if node.run_at is not None and node.run_at > now else now
        tasks[node.task_id] = replace(current, run_at=run_at, date_modified=now)

    def _cancel(self, task_id: int, now: datetime) -> bool:
        tasks = self.owner.tasks_by_id()
        current = tasks.get(task_id)
        if current is None or current.status not in (Status.PENDING, Status.PAUSED):
            return False
        tasks[task_id] = replace(current, status=Status.CANCELLED, run_at=now,
                                 response=CANCELLED_BY_PARENT, date_modified=now)
        return True

    def _info(self, workflow_id: int) -> WorkflowInfo:
        name, added = self._names[workflow_id]
        tasks = self.owner.tasks_by_id()
        return WorkflowInfo(workflow_id=workflow_id, name=name, date_added=added, nodes=tuple(
            _node_info(n, tasks.get(n.task_id)) for n in self._nodes.values()
            if n.workflow_id == workflow_id))


def _node_info(node: _Node, current: Task | None) -> WorkflowNodeInfo:
    status = current.status.value if current else node.outcome or "deleted"
    return WorkflowNodeInfo(
        task_id=node.task_id, code=node.code, action=node.action, status=status,
        parents=tuple(sorted(node.parents)), run_on_failure=node.run_on_failure,
        parents_left=node.parents_left, date_ended=node.date_ended,
        waiting_for_parents=current is not None and current.status is Status.PENDING
        and waits_for_parents(current.run_at))
