"""What a task run in a child process records as its error class when the child does not
report an outcome: a timeout is `TimeoutError`, a child that died is `process died`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from taskdesk.app import Taskdesk
from taskdesk.models.failures import PROCESS_DIED, TIMEOUT
from taskdesk.models.tasks import Status
from tests.runner.test_runner_timeouts import run, timeouts_desk


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Taskdesk]:
    yield from timeouts_desk(tmp_path)


def test_a_timeout_and_a_dead_child_have_their_classes(desk: Taskdesk) -> None:
    timed_out = run(desk, "slow.spin")
    died = run(desk, "slow.exit")

    assert (timed_out.status, timed_out.error_class) == (Status.FAILED, TIMEOUT)
    assert (died.status, died.error_class) == (Status.FAILED, PROCESS_DIED)
    groups = {g.error_class: g.count for g in desk.tasks.failures()}
    assert groups == {TIMEOUT: 1, PROCESS_DIED: 1}
