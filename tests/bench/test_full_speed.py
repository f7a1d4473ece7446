"""bench/full_speed.py runs end to end, tiny: the table prints with every measurement and
the verification passes; a measurement that did not do its work fails the run. (It measures
nothing here: figures are for the benchmark, never asserted.)"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from bench.full_speed import main
from bench.measure import Rate, fresh_desk, new_tasks
from bench.options import console, exit_on_sigterm
from bench.speed_report import report
from bench.targets import Row, rate_row
from bench.workers import check_ran_once

from tests.support import require_postgres

TINY = ("--tasks", "100", "--latency-adds", "10", "--idle-seconds", "0.3")
MEASUREMENTS = ("durable INSERT+COMMIT", "claim UPDATE…RETURNING+COMMIT", "add() one by one",
                "add_many() of N", "processed by 1 worker", "processed by 2 workers",
                "add→start p50", "add→start p99", "idle worker CPU")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres",
                                                            marks=pytest.mark.postgres)])
def test_one_table_on_each_backend(backend: str, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    if backend == "postgres":
        require_postgres()
    monkeypatch.setenv("COLUMNS", "200")  # no cell wraps, whatever the terminal
    code = main([*TINY, "--backends", backend])  # in-process: one interpreter start-up less
    out, err = capsys.readouterr()
    assert code == 0, err[-3000:]
    assert "taskdesk at full speed, N = 100 tasks" in out
    for measurement in MEASUREMENTS:
        assert measurement in out, measurement
    assert "FAILED" not in out
    assert "machine:" in out
    assert "INVALID" not in err
    assert signal.getsignal(signal.SIGTERM) is not exit_on_sigterm  # given back


def test_tasks_that_never_ran_are_reported(tmp_path: Path) -> None:
    with fresh_desk("sqlite", tmp_path) as desk:
        desk.tasks.add_many(new_tasks(3, "never"))
        assert check_ran_once(desk, 3) == ["the log names 0 distinct tasks, expected 3"]


def test_a_measurement_with_problems_fails_the_run(capsys: pytest.CaptureFixture[str]) -> None:
    failed = rate_row("sqlite", "processed by 1 worker", Rate(5, 1.0, ("a worker died",)))
    code = report({"sqlite": [failed, Row("idle worker CPU", 0.5, " %")]}, 5, [],
                  console(stderr=True))
    captured = capsys.readouterr()
    assert code == 1
    assert "✗ FAILED" in captured.out
    assert "a worker died" in captured.err

