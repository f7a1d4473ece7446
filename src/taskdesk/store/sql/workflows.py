"""SqlWorkflowStore: workflows over SQLAlchemy Core, for SQLite and PostgreSQL. Adding one
writes its tasks (store.add, never replacing by code), the workflow, its nodes and their
dependencies in one transaction — the store's own, or the enclosing one (store.atomic, the
caller's connection). What the end of a task does to its children is cascade.py's, run by
finish and recover in their own transactions."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select

from taskdesk.models.tasks import Task
from taskdesk.models.workflows import (
    WAITING_FOR_PARENTS,
    NewNode,
    TaskWorkflow,
    WorkflowInfo,
    WorkflowNodeInfo,
    waits_for_parents,
)
from taskdesk.store.sql.cascade import cancel_dependents
from taskdesk.store.sql.schema import task, task_dependency, workflow, workflow_task

if TYPE_CHECKING:
    from taskdesk.store.sql.store import SqlStore


class SqlWorkflowStore:
    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def add(self, name: str, nodes: Sequence[NewNode]) -> tuple[int, list[Task]]:
        news = [replace(n.task, run_at=WAITING_FOR_PARENTS) if n.parents else n.task
                for n in nodes]
        with self.store.atomic() as bound:
            tasks = bound.add(news, replace=False)
            conn = bound.db.bound
            assert conn is not None
            now = bound.db.clock()
            key = conn.execute(insert(workflow).values(name=name, date_added=now)
                               ).inserted_primary_key
            assert key is not None
            workflow_id = int(key[0])
            conn.execute(insert(workflow_task), [_node_row(workflow_id, n, node, t)
                                                 for n, (node, t) in enumerate(zip(
                                                     nodes, tasks, strict=True))])
            edges = [{"child_id": t.task_id, "parent_id": tasks[p].task_id}
                     for node, t in zip(nodes, tasks, strict=True) for p in node.parents]
            if edges:
                conn.execute(insert(task_dependency), edges)
        return workflow_id, tasks

    def list(self, *, limit: int = 100) -> builtins.list[WorkflowInfo]:
        query = select(workflow).order_by(workflow.c.workflow_id.desc()).limit(limit)
        with self.store.db.read() as conn:
            return [_info(conn, row._mapping) for row in conn.execute(query)]

    def get(self, workflow_id: int) -> WorkflowInfo | None:
        with self.store.db.read() as conn:
            row = conn.execute(select(workflow).where(
                workflow.c.workflow_id == workflow_id)).first()
            return None if row is None else _info(conn, row._mapping)

    def of_task(self, task_id: int) -> TaskWorkflow | None:
        query = (select(workflow_task, workflow.c.name, task.c.run_at.label("task_run_at"))
                 .join(workflow, workflow.c.workflow_id == workflow_task.c.workflow_id)
                 .outerjoin(task, task.c.task_id == workflow_task.c.task_id)
                 .where(workflow_task.c.task_id == task_id))
        with self.store.db.read() as conn:
            row = conn.execute(query).first()
            if row is None:
                return None
            parents = conn.execute(
                select(task_dependency.c.parent_id).where(task_dependency.c.child_id == task_id)
                .order_by(task_dependency.c.parent_id)).scalars().all()
        found = row._mapping
        return TaskWorkflow(workflow_id=found["workflow_id"], name=found["name"],
                            parents=tuple(parents), run_on_failure=found["run_on_failure"],
                            waiting_for_parents=waits_for_parents(found["task_run_at"]))

    def parent_results(self, task_id: int) -> dict[int, str | None]:
        query = (select(task_dependency.c.parent_id, workflow_task.c.outcome,
                        workflow_task.c.response)
                 .join(workflow_task, workflow_task.c.task_id == task_dependency.c.parent_id)
                 .where(task_dependency.c.child_id == task_id)
                 .order_by(task_dependency.c.parent_id))
        with self.store.db.read() as conn:
            rows = conn.execute(query).all()
        return {parent: response if outcome == "complete" else None
                for parent, outcome, response in rows}

    def cancel_dependents(self, task_ids: Sequence[int]) -> builtins.list[int]:
        with self.store.db.write() as conn:
            cancelled = cancel_dependents(self.store.db, conn, task_ids)
        self.store.db.announce_after()  # run_on_failure tasks may be due now
        return cancelled


def _node_row(workflow_id: int, position: int, node: NewNode, added: Task) -> dict[str, Any]:
    return {"task_id": added.task_id, "workflow_id": workflow_id, "position": position,
            "code": added.code, "action": added.action,
            "run_on_failure": node.run_on_failure, "parents_left": len(node.parents),
            "run_at": node.task.run_at if node.parents else None}


def _info(conn: Connection, row: Any) -> WorkflowInfo:
    workflow_id = row["workflow_id"]
    nodes = conn.execute(
        select(workflow_task, task.c.status.label("task_status"),
               task.c.run_at.label("task_run_at"))
        .outerjoin(task, task.c.task_id == workflow_task.c.task_id)
        .where(workflow_task.c.workflow_id == workflow_id)
        .order_by(workflow_task.c.position)).all()
    edges: dict[int, list[int]] = {}
    for child, parent in conn.execute(
            select(task_dependency.c.child_id, task_dependency.c.parent_id)
            .join(workflow_task, workflow_task.c.task_id == task_dependency.c.child_id)
            .where(workflow_task.c.workflow_id == workflow_id)
            .order_by(task_dependency.c.parent_id)):
        edges.setdefault(child, []).append(parent)
    return WorkflowInfo(workflow_id=workflow_id, name=row["name"], date_added=row["date_added"],
                        nodes=tuple(_node(n._mapping, edges) for n in nodes))


def _node(row: Any, edges: dict[int, builtins.list[int]]) -> WorkflowNodeInfo:
    status = row["task_status"] or row["outcome"] or "deleted"
    return WorkflowNodeInfo(
        task_id=row["task_id"], code=row["code"], action=row["action"], status=status,
        parents=tuple(edges.get(row["task_id"], ())), run_on_failure=row["run_on_failure"],
        parents_left=row["parents_left"], date_ended=row["date_ended"],
        waiting_for_parents=status == "pending" and waits_for_parents(row["task_run_at"]))
