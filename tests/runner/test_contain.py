"""contained(): a runner's step that fails is logged, never raised."""

from __future__ import annotations

import logging

import pytest

from taskdesk.errors import StoreUnavailable
from taskdesk.runner.contain import contained


def test_a_step_that_works_runs(caplog: pytest.LogCaptureFixture) -> None:
    ran: list[int] = []

    contained(lambda: ran.append(1))

    assert ran == [1]
    assert caplog.records == []


def test_a_taskdesk_error_is_one_line(caplog: pytest.LogCaptureFixture) -> None:
    def away() -> None:
        raise StoreUnavailable("the database is away")

    with caplog.at_level(logging.WARNING, logger="taskdesk.runner.contain"):
        contained(away)

    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert "the database is away" in record.getMessage()
    assert record.exc_info is None


def test_any_other_error_is_logged_with_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    with caplog.at_level(logging.WARNING, logger="taskdesk.runner.contain"):
        contained(broken)

    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
