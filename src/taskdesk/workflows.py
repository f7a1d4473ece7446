"""Workflows: tasks that run when the tasks they come `after` have completed.

    wf = desk.workflow("nightly")
    a = wf.add(export, "orders")                        # args bound as enqueue binds them
    b = wf.add(resize, after=[a])
    c = wf.add(index, after=[a])
    d = wf.add(report, after=[b, c])                    # fan-in: runs once, after b and c
    wf.add(clean_up, after=[d], run_on_failure=True)    # runs once d has ended, however
    wf.enqueue()                                        # every task in one transaction
    d.task_id                                           # each node's task, once enqueued

Inside a task, `taskdesk.parent_results()` returns each parent's response (its JSON text)
by parent task id. A parent that fails for good or is cancelled cancels its dependents,
transitively, except those added with run_on_failure. The store keeps the dependencies
(store/workflows.py), so a killed runner or a restart loses nothing and fan-in fires once.

Bad input raises BadWorkflow (BadArgs for arguments that do not bind) and adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from typing import Any

from taskdesk.definitions import TaskDefinition
from taskdesk.errors import BadWorkflow, WorkflowNotFound
from taskdesk.models.tasks import JsonObject, NewTask, Task
from taskdesk.models.workflows import NewNode, check_nodes, check_workflow_name
from taskdesk.registry import ID_RANGE, TaskRegistry
from taskdesk.store import Store
from taskdesk.store.sql import workflow_through
from taskdesk.tracing import enqueueing
from taskdesk.views import (
    TaskWorkflowView,
    WorkflowSummaryView,
    WorkflowView,
    task_workflow_view,
    workflow_summary_view,
    workflow_view,
)

#: What parent_results() reads in the running task's thread (set by the runner).
ParentResults = Callable[[], dict[int, str | None]]
_current: ContextVar[ParentResults | None] = ContextVar("taskdesk_parents", default=None)


@contextmanager
def reading_parents(read: ParentResults) -> Iterator[None]:
    """Make `read` what parent_results() returns in this thread while the block runs."""
    token = _current.set(read)
    try:
        yield
    finally:
        _current.reset(token)


def parent_results() -> dict[int, str | None]:
    """Each workflow parent's response (its text, as stored) by the parent's task id, read
    from the database when called; a parent that did not complete (a run_on_failure task's)
    gives None. Outside a runner, or in a task of no workflow: {}."""
    read = _current.get()
    return {} if read is None else read()


class WorkflowNode:
    """One task of a workflow, before and after it is enqueued (`task_id`)."""

    def __init__(self, workflow: Workflow, definition: TaskDefinition[..., Any],
                 args: JsonObject, run_on_failure: bool) -> None:
        self.workflow = workflow
        self.definition = definition
        self.args = args
        self.run_on_failure = run_on_failure
        self.parents: list[WorkflowNode] = []
        self.task_id: int | None = None

    def __repr__(self) -> str:
        return f"<WorkflowNode {self.definition.name} task_id={self.task_id}>"

    def after(self, *nodes: WorkflowNode) -> WorkflowNode:
        """Make this task wait for `nodes` too (of the same workflow, before enqueue)."""
        self.workflow.check_open()
        for node in nodes:
            if not isinstance(node, WorkflowNode) or node.workflow is not self.workflow:
                raise BadWorkflow(f"after: {node!r} is not a task of workflow "
                                  f"{self.workflow.name!r}")
            if node not in self.parents:
                self.parents.append(node)
        return self


class Workflow:
    """A workflow being built (`add`), then added in one transaction (`enqueue`)."""

    def __init__(self, name: str, *, registry: TaskRegistry, store: Store) -> None:
        self.name = check_workflow_name(name)
        self._registry = registry
        self._store = store
        self.nodes: list[WorkflowNode] = []
        self.workflow_id: int | None = None

    def add(self, definition: TaskDefinition[..., Any], /, *args: Any,
            after: Iterable[WorkflowNode] = (), run_on_failure: bool = False,
            **kwargs: Any) -> WorkflowNode:
        """A task of `definition` with these arguments (bound as enqueue binds them), run
        once every node of `after` has completed (run_on_failure: once each has ended)."""
        self.check_open()
        if not isinstance(definition, TaskDefinition):
            raise BadWorkflow(f"add: {definition!r} is not a task (@desk.task)")
        if not isinstance(run_on_failure, bool):
            raise BadWorkflow(f"run_on_failure must be True or False, not {run_on_failure!r}")
        node = WorkflowNode(self, definition, definition.bind(*args, **kwargs), run_on_failure)
        node.after(*list(after))
        self.nodes.append(node)
        return node

    def check_open(self) -> None:
        if self.workflow_id is not None:
            raise BadWorkflow(f"workflow {self.name!r} was enqueued already: build a new one")

    def enqueue(self, connection: object | None = None) -> list[Task]:
        """Add every task, in one transaction (with `connection`: the caller's, as
        `.using(connection=…).enqueue()`); returns the tasks in the order added."""
        self.check_open()
        ordered = _topological(self.nodes)
        position = {id(node): n for n, node in enumerate(ordered)}
        news = [NewNode(task=self._new_task(node), run_on_failure=node.run_on_failure,
                        parents=tuple(position[id(p)] for p in node.parents))
                for node in ordered]
        check_nodes(news)
        workflow_id, tasks = self._add(news, connection)
        for node, task in zip(ordered, tasks, strict=True):
            node.task_id = task.task_id
        self.workflow_id = workflow_id
        by_node = {id(node): task for node, task in zip(ordered, tasks, strict=True)}
        return [by_node[id(node)] for node in self.nodes]

    def _add(self, news: list[NewNode], connection: object | None) -> tuple[int, list[Task]]:
        """The workflow written in one transaction, inside its enqueue span (tracing)."""
        with enqueueing([node.task for node in news],
                        enabled=self._registry.settings.tracing) as traced:
            news = [replace(node, task=new) for node, new in zip(news, traced.tasks,
                                                                  strict=True)]
            if connection is None:
                return self._store.workflows.add(self.name, news)
            return workflow_through(self._store, connection, self.name, news)

    def _new_task(self, node: WorkflowNode) -> NewTask:
        options = node.definition.options
        return self._registry.check(NewTask(
            code=options.code or node.definition.name, action=node.definition.name,
            args=node.args, priority=options.priority,
            run_at=self._registry.moment(options.run_after),
            max_attempts=options.max_attempts, queue=options.queue_name))


def _topological(nodes: list[WorkflowNode]) -> list[WorkflowNode]:
    """The nodes with each after its parents, otherwise in the order added; BadWorkflow for
    a cycle, naming its tasks."""
    if not nodes:
        raise BadWorkflow("a workflow needs at least one task")
    placed: list[WorkflowNode] = []
    done: set[int] = set()
    waiting = list(nodes)
    while waiting:
        ready = [n for n in waiting if all(id(p) in done for p in n.parents)]
        if not ready:
            names = ", ".join(n.definition.name for n in waiting)
            raise BadWorkflow(f"workflow has a cycle among: {names}")
        for node in ready:
            placed.append(node)
            done.add(id(node))
        waiting = [n for n in waiting if id(n) not in done]
    return placed


class Workflows:
    """The stored workflows of one store, as views (the CLI's --json, the API, the pages)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def list(self, *, limit: int = 100) -> list[WorkflowSummaryView]:
        """The newest workflows first, each with its tasks' counts by status."""
        return [workflow_summary_view(info) for info in self.store.workflows.list(limit=limit)]

    def get(self, workflow_id: int) -> WorkflowView:
        """One workflow with its tasks, parents first; WorkflowNotFound if none."""
        in_range = isinstance(workflow_id, int) and ID_RANGE[0] <= workflow_id <= ID_RANGE[1]
        found = self.store.workflows.get(workflow_id) if in_range else None
        if found is None:
            raise WorkflowNotFound(f"no workflow has id {workflow_id}")
        return workflow_view(found)

    def of_task(self, task_id: int) -> TaskWorkflowView | None:
        """The workflow a task belongs to and its parents there; None: none."""
        if not ID_RANGE[0] <= task_id <= ID_RANGE[1]:
            return None
        return task_workflow_view(self.store.workflows.of_task(task_id))
