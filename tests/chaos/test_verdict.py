"""The chaos verdict itself, on made-up executions: it accepts a repeat only when the earlier
run was the last of its thread in a killed worker with its lease recovered, and names the
reason otherwise (a verdict that cannot refuse would prove nothing)."""

from __future__ import annotations

from tests.chaos.verdict import Execution, unexplained

WORKER, REPLACEMENT = 10, 11


def test_a_slow_task_killed_while_another_thread_ran_on_is_explained() -> None:
    runs = [Execution(1, 401, WORKER, 1, 1), *(Execution(n, 400 + n, WORKER, 2, 1)
                                               for n in range(2, 14)),
            Execution(14, 401, REPLACEMENT, 1, 2)]

    assert unexplained(runs, [(401, WORKER)], {WORKER}) == []


def test_a_repeat_after_its_thread_ran_on_is_not() -> None:
    runs = [Execution(1, 401, WORKER, 1, 1), Execution(2, 402, WORKER, 1, 1),
            Execution(3, 401, REPLACEMENT, 1, 2)]

    [why] = unexplained(runs, [(401, WORKER)], {WORKER})

    assert "its thread ran 1 tasks after it" in why


def test_a_repeat_without_a_kill_or_a_recovery_is_not() -> None:
    runs = [Execution(1, 401, WORKER, 1, 1), Execution(2, 401, REPLACEMENT, 1, 2)]

    assert "never killed" in unexplained(runs, [(401, WORKER)], set())[0]
    assert "no recovery" in unexplained(runs, [], {WORKER})[0]
