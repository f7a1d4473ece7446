"""bench/peers.py runs end to end, tiny, on SQLite: the peer (Huey) is installed into its own
virtualenv on first use, both systems add and process their tasks, and the table prints their
figures side by side. A peer that did not do its work fails the run. (Figures are never
asserted.)"""

from __future__ import annotations

import signal
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from bench.measure import Rate
from bench.options import exit_on_sigterm

from bench import peers


@pytest.mark.slow
def test_side_by_side_on_sqlite(capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    code = peers.main(["--tasks", "50", "--backends", "sqlite"])
    out, err = capsys.readouterr()
    assert code == 0, err[-3000:]
    assert "Huey (SqliteHuey)" in out
    assert "add, one call each" in out
    assert "processed by 1 worker" in out
    assert "FAILED" not in out
    assert signal.getsignal(signal.SIGTERM) is not exit_on_sigterm


def test_a_peer_that_fails_is_reported(tmp_path: Path) -> None:
    python = Path(sys.executable)  # this interpreter has no huey: the script fails
    rate = peers.run_peer(python, "huey_run.py", "adds", ["--db", str(tmp_path / "x.db")], 5)
    assert rate.problems
    assert "exited" in rate.problems[0]


def test_the_worker_mark_needs_twice_the_peer() -> None:
    pair = peers.Pair("peer", Rate(1, 1.0), Rate(100, 1.0), Rate(1, 1.0), Rate(199, 1.0))
    assert "✗" in peers._worker_mark(pair)
    assert "✓" in peers._worker_mark(replace(pair, worker=Rate(200, 1.0)))
