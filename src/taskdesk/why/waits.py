"""The reasons a pending task waits: its queue is paused, its time has not come, the
allow-list refuses its action, its extension is broken, no live runner serves its queue, or
other tasks are ahead of it. Each check: Scene → Reason | None."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from taskdesk.clock import isoformat
from taskdesk.errors import BadAction, TaskdeskError
from taskdesk.models.actions import Route, parse_action
from taskdesk.models.queues import DEFAULT_QUEUE
from taskdesk.models.tasks import Status
from taskdesk.models.why import Reason
from taskdesk.text import error_text
from taskdesk.why.scene import Scene, span, stamp

RATE_MINUTES = 10  # the task log's last minutes the place in line's estimate is read from
#: A parent in one of these has ended: a workflow task waits only for the others.
ENDED_STATUSES = frozenset({Status.COMPLETE.value, Status.FAILED.value,
                            Status.CANCELLED.value})


def paused_queue(scene: Scene) -> Reason | None:
    queue = scene.task.queue
    pause = next((p for p in scene.store.queues.paused() if p.queue == queue), None)
    if pause is None:
        return None
    by = f" by {pause.paused_by}" if pause.paused_by else ""
    return Reason(code="paused_queue",
                  text=f"its queue {queue} is paused (since {stamp(pause.paused_at)}{by})",
                  facts={"queue": queue, "paused_at": isoformat(pause.paused_at),
                         "paused_by": pause.paused_by},
                  hint=f"taskdesk queue resume {queue}")


def waiting_for_parents(scene: Scene) -> Reason | None:
    """A workflow task whose parents have not all ended (its run_at is a placeholder then:
    checked before future_run_at)."""
    task = scene.task
    if task.status is not Status.PENDING:
        return None
    membership = scene.store.workflows.of_task(task.task_id)
    if membership is None or not membership.waiting_for_parents:
        return None
    workflow = scene.store.workflows.get(membership.workflow_id)
    status = {node.task_id: node.status for node in workflow.nodes} if workflow else {}
    waiting = [parent for parent in membership.parents
               if status.get(parent) not in ENDED_STATUSES]
    names = ", ".join(f"{parent} ({status.get(parent, 'gone')})" for parent in waiting)
    return Reason(code="workflow_parents",
                  text=f"it waits for its workflow parents: {names or 'their outcome'}",
                  facts={"workflow_id": membership.workflow_id, "workflow": membership.name,
                         "waiting_for": ", ".join(map(str, waiting)),
                         "parents": ", ".join(map(str, membership.parents))},
                  hint=f"taskdesk workflow show {membership.workflow_id}")


def future_run_at(scene: Scene) -> Reason | None:
    task = scene.task
    if task.run_at <= scene.now:
        return None
    left = round(scene.seconds_until(task.run_at), 1)
    retry = task.attempts > 0  # a failed attempt's retry waits for its delay
    text = (f"it waits to be retried after attempt {task.attempts} of {task.max_attempts}"
            if retry else "it is not due yet")
    return Reason(code="run_at", text=f"{text}: it runs at {stamp(task.run_at)}, in {span(left)}",
                  facts={"run_at": isoformat(task.run_at), "in_seconds": left, "retry": retry})


def held_by_limit(scene: Scene) -> Reason | None:
    """A limited task whose key has no free slot: which key, how many hold a slot, and when
    the rate lets the next one start (else: when one of them ends)."""
    hold = scene.store.limits.holding(scene.task.task_id)
    if hold is None:
        return None
    limits = ", ".join(part for part in (
        None if hold.concurrency_limit is None else f"at most {hold.concurrency_limit} at once",
        None if hold.rate_limit is None else f"at most {hold.rate_limit} starts")
        if part is not None)
    if hold.next_slot_at is not None and hold.next_slot_at > scene.now:
        frees = (f"the rate lets the next start at {stamp(hold.next_slot_at)}, in "
                 f"{span(round(scene.seconds_until(hold.next_slot_at), 1))}")
    else:
        frees = "a slot frees when one of them ends"
    return Reason(code="limit",
                  text=f"it is held by the limit of key {hold.key} ({limits}): "
                       f"{hold.running} of its tasks "
                       f"{'holds' if hold.running == 1 else 'hold'} a slot; {frees}",
                  facts={"limit_key": hold.key, "running": hold.running,
                         "concurrency_limit": hold.concurrency_limit,
                         "rate_limit": hold.rate_limit, "started_in_window": hold.started,
                         "next_slot_at": isoformat(hold.next_slot_at)})




def action_refused(scene: Scene) -> Reason | None:
    """The allow-list's own answer, as a runner would fail the task with it."""
    try:
        scene.check_action(scene.task.action)
    except BadAction as error:  # ActionNotAllowed, or an action that does not parse
        return Reason(code="action_refused",
                      text=f"the allow-list refuses its action: {error.message}",
                      facts={"action": scene.task.action, "message": error.message})
    return None


def extension_broken(scene: Scene) -> Reason | None:
    """An extension's controller that cannot be used: the extension's files are gone or
    unusable, its controller file is missing, or it does not compile. Its code is never run
    here (an import error of a module it imports shows when a runner meets it)."""
    try:
        route = parse_action(scene.task.action)
    except BadAction:  # action_refused said so first
        return None
    if not isinstance(route, Route):
        return None
    problem = _route_problem(scene, route)
    if problem is None:
        return None
    return Reason(code="extension_broken",
                  text=f"its extension {route.extension} cannot be used: {problem}",
                  facts={"extension": route.extension, "error": problem},
                  hint=f"taskdesk extension list (then reinstall or upgrade {route.extension})")


def _route_problem(scene: Scene, route: Route) -> str | None:
    try:
        found = scene.extension(route.extension)
    except TaskdeskError as error:  # not found, or its package cannot be had on this host
        return error.message
    if found.problem:
        return found.problem
    relative = f"{route.side}/controller/{route.controller}.py"
    return _compile_problem(found.root / relative, relative)


def _compile_problem(source: Path, relative: str) -> str | None:
    """Why the controller file cannot be imported, as far as reading it tells (never run)."""
    try:
        compile(source.read_bytes(), relative, "exec", dont_inherit=True)
    except OSError:
        return f"it has no {relative}"
    except (SyntaxError, ValueError) as error:
        return f"{relative} does not compile: {error_text(error)}"
    return None


def no_runner(scene: Scene) -> Reason | None:
    queue = scene.task.queue
    serving = [r for r in scene.live_runners if r.queues is None or queue in r.queues]
    if serving:
        return None
    app = f" --app {scene.app}" if scene.app else ""
    start = f"taskdesk worker{app}" + ("" if queue == DEFAULT_QUEUE else f" --queue {queue}")
    return Reason(code="no_runner", text=f"no live runner serves its queue {queue}",
                  facts={"queue": queue, "live_runners": len(scene.live_runners)},
                  hint=f"start one: {start}")


def place_in_line(scene: Scene) -> Reason | None:
    """Behind K due tasks of its queue that a claim takes first (higher priority, or older),
    with an estimate from the rate at which tasks finished in the last minutes."""
    task = scene.task
    if task.status is not Status.PENDING:
        return None
    ahead = scene.store.queues.ahead(task.queue, task.priority, task.task_id)
    rate = _rate_per_minute(scene)
    eta = None if not rate else round((ahead + 1) / rate * 60, 1)
    line = "it is next in line" if not ahead else \
        f"it is behind {ahead} task{'s' if ahead != 1 else ''} of higher priority or older"
    guess = (f"; no task finished in the last {RATE_MINUTES} min, so no estimate"
             if eta is None else f"; at the recent rate it starts in about {span(eta)}")
    return Reason(code="in_line", text=f"{line} in its queue {task.queue}{guess}",
                  facts={"queue": task.queue, "ahead": ahead, "per_minute": rate,
                         "estimate_seconds": eta})


def _rate_per_minute(scene: Scene) -> float:
    """Tasks finished (complete or failed) per minute over the last RATE_MINUTES."""
    since = scene.now - timedelta(minutes=RATE_MINUTES)
    finished = sum(scene.store.log_per_minute(since).values())
    return round(finished / RATE_MINUTES, 2)
