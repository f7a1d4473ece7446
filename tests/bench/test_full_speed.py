"""bench/full_speed.py runs end to end, tiny: the table prints with every measurement and
the verification passes; a measurement that did not do its work fails the run. (It measures
nothing here: figures are for the benchmark, never asserted.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from bench.measure import Rate, fresh_desk, new_tasks
from bench.options import console
from bench.speed_report import report
from bench.targets import Row, rate_row
from bench.workers import check_ran_once

from tests.support import require_postgres

REPO_ROOT = Path(__file__).resolve().parents[2]
TINY = ("--tasks", "100", "--latency-adds", "10", "--idle-seconds", "0.3")
MEASUREMENTS = ("durable INSERT+COMMIT", "claim UPDATE…RETURNING+COMMIT", "add() one by one",
                "add_many() of N", "processed by 1 worker", "processed by 2 workers",
                "add→start p50", "add→start p99", "idle worker CPU")
RUN_SECONDS = 120  # a hung run fails the test instead of hanging the suite


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres",
                                                            marks=pytest.mark.postgres)])
def test_one_table_on_each_backend(backend: str) -> None:
    if backend == "postgres":
        require_postgres()
    env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    done = subprocess.run([sys.executable, "-m", "bench.full_speed", *TINY, "--backends",
                           backend], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=RUN_SECONDS, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "taskdesk at full speed, N = 100 tasks" in done.stdout
    for measurement in MEASUREMENTS:
        assert measurement in done.stdout, measurement
    assert "FAILED" not in done.stdout
    assert "machine:" in done.stdout
    assert "INVALID" not in done.stderr


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

