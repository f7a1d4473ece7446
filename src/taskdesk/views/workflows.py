"""The shapes of workflows: a list's rows (counts by status), one workflow's tasks in a
topological order (each with its status and parents), and a task's workflow (task show)."""

from __future__ import annotations

from typing_extensions import TypedDict

from taskdesk.clock import isoformat
from taskdesk.models.workflows import TaskWorkflow, WorkflowInfo, WorkflowNodeInfo


class WorkflowNodeView(TypedDict):
    task_id: int
    code: str
    action: str
    status: str  # the task's; once it is pruned, the outcome its workflow kept
    parents: list[int]  # the task ids it runs after
    run_on_failure: bool  # runs once its parents have ended, however they ended
    parents_left: int  # parents it still waits for
    waiting_for_parents: bool
    date_ended: str | None


class WorkflowSummaryView(TypedDict):
    workflow_id: int
    name: str
    date_added: str | None
    total: int
    counts: dict[str, int]  # tasks by status


class WorkflowView(WorkflowSummaryView):
    tasks: list[WorkflowNodeView]  # parents before children


class TaskWorkflowView(TypedDict):
    workflow_id: int
    name: str
    parents: list[int]
    run_on_failure: bool
    waiting_for_parents: bool


def workflow_summary_view(info: WorkflowInfo) -> WorkflowSummaryView:
    return WorkflowSummaryView(workflow_id=info.workflow_id, name=info.name,
                               date_added=isoformat(info.date_added), total=len(info.nodes),
                               counts=info.counts())


def workflow_view(info: WorkflowInfo) -> WorkflowView:
    return WorkflowView(**workflow_summary_view(info),
                        tasks=[workflow_node_view(node) for node in info.nodes])


def workflow_node_view(node: WorkflowNodeInfo) -> WorkflowNodeView:
    return WorkflowNodeView(task_id=node.task_id, code=node.code, action=node.action,
                            status=node.status, parents=list(node.parents),
                            run_on_failure=node.run_on_failure, parents_left=node.parents_left,
                            waiting_for_parents=node.waiting_for_parents,
                            date_ended=isoformat(node.date_ended))


def task_workflow_view(found: TaskWorkflow | None) -> TaskWorkflowView | None:
    if found is None:
        return None
    return TaskWorkflowView(workflow_id=found.workflow_id, name=found.name,
                            parents=list(found.parents), run_on_failure=found.run_on_failure,
                            waiting_for_parents=found.waiting_for_parents)
