"""`@desk.periodic(...)`: register a function as a task and plan its schedule in one step.

    @desk.periodic(cron="*/5 * * * *")
    def refresh_rates() -> None: ...

    @desk.periodic(every="hour", interval=2, missed="skip")
    def tidy() -> None: ...

The rule is checked at once (a bad cron expression fails at import, not in a runner). The
schedule's code and action are the task's name; it is written to the database by
`desk.schedules.sync()` (see taskdesk.schedules.service).
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import ParamSpec, TypeVar

from taskdesk.definitions import TaskDecorator, TaskDefinition
from taskdesk.models.schedule_rules import Missed, Rule
from taskdesk.schedules.service import Plan

P = ParamSpec("P")
R = TypeVar("R")


class PeriodicDecorator:
    """Registers the task through `task`, then records its Plan in `plans`."""

    def __init__(self, task: TaskDecorator, plans: MutableMapping[str, Plan], *, rule: Rule,
                 missed: Missed) -> None:
        self.task = task
        self.plans = plans
        self.rule = rule
        self.missed = missed

    def __call__(self, target: Callable[P, R], /) -> TaskDefinition[P, R]:
        definition: TaskDefinition[P, R] = self.task(target)
        self.plans[definition.name] = Plan(code=definition.name, action=definition.name,
                                           rule=self.rule, missed=self.missed)
        return definition


def periodic_decorator(task: TaskDecorator, plans: MutableMapping[str, Plan], *,
                       cron: str | None, every: str | None, interval: int,
                       missed: str) -> PeriodicDecorator:
    """A checked decorator: BadSchedule now if the rule or the policy is wrong."""
    rule = Rule.parse(cron=cron, every=every, interval=interval)
    policy = Missed.parse(missed)
    return PeriodicDecorator(task, plans, rule=rule, missed=policy)

