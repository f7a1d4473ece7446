"""taskdesk beside its peers on this machine, in one run: Huey on SQLite and Procrastinate on
PostgreSQL, each at its defaults, against taskdesk on the same database. Two figures each:
N no-op tasks added one call at a time (each its own transaction), and N processed by one
worker. The peers run in a virtualenv of their own (bench/peers-requirements.txt, created on
first use) so that taskdesk never depends on them.

    .venv/bin/python -m bench.peers [--tasks N] [--backends sqlite,postgres]
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.progress import Progress
from rich.table import Table
from sqlalchemy import make_url

from bench.databases import BACKENDS, fresh_database
from bench.measure import Rate, add_one_by_one
from bench.options import (
    backend_name,
    console,
    exit_on_sigterm,
    listed,
    positive,
    progress_bars,
    server,
)
from bench.workers import process

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "peers-requirements.txt"
VENV = HERE.parent / ".venv-peers"
PEERS = {"sqlite": ("Huey (SqliteHuey)", "huey_run.py"),
         "postgres": ("Procrastinate", "procrastinate_run.py")}
DEFAULT_TASKS = 5000
PEER_TIMEOUT = 600.0  # seconds one peer measurement may take before it is killed
#: The issue's target: one taskdesk worker at least this many times the peer's one worker.
WORKER_FACTOR = 2.0


@dataclass(frozen=True)
class Pair:
    """One backend: the peer's figures and taskdesk's, measured the same way."""

    peer: str
    peer_adds: Rate
    peer_worker: Rate
    adds: Rate
    worker: Rate


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.peers",
                                     description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tasks", type=positive, default=DEFAULT_TASKS, metavar="N")
    parser.add_argument("--backends", type=listed(backend_name), default=BACKENDS)
    return parser.parse_args(argv)


def peers_python(progress: Progress) -> Path:
    """The peers' interpreter, installing them the first time (PyPI, pinned versions)."""
    python = VENV / "bin" / "python"
    if not python.exists():
        step = progress.add_task("installing the peers into .venv-peers", total=1)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", "-r", str(REQUIREMENTS)], check=True)
        progress.update(step, completed=1)
    return python


def run_peer(python: Path, script: str, mode: str, target: list[str], tasks: int) -> Rate:
    """One measurement of a peer, in its own process; its JSON line, or what went wrong."""
    command = [str(python), str(HERE / "peer_runs" / script), mode, *target, "--tasks",
               str(tasks)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=PEER_TIMEOUT,
                              check=False)
    except subprocess.TimeoutExpired:
        return Rate(tasks, 0.0, (f"{script} {mode} ran past {PEER_TIMEOUT:g} s",))
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return Rate(tasks, 0.0, (f"{script} {mode} exited {done.returncode}: "
                                 f"{done.stderr.strip()[-500:]}",))
    found = json.loads(lines[-1])
    return Rate(int(found["count"]), float(found["seconds"]), tuple(found["problems"]))


def peer_target(backend: str, url: str) -> list[str]:
    if backend == "sqlite":
        return ["--db", str(Path(make_url(url).database or "").with_name("peer.db"))]
    return ["--dsn", make_url(url).set(drivername="postgresql").render_as_string(
        hide_password=False)]


def measure(backend: str, folder: Path, tasks: int, python: Path, progress: Progress) -> Pair:
    name, script = PEERS[backend]
    step = progress.add_task(f"{backend}: {name}, adds then one worker", total=2)
    with fresh_database(backend, folder / "peer") as url:
        target = peer_target(backend, url)
        peer_adds = run_peer(python, script, "adds", target, tasks)
        progress.update(step, completed=1)
        peer_worker = run_peer(python, script, "work", target, tasks)
        progress.update(step, completed=2)
    adds = add_one_by_one(backend, folder / "adds", tasks, progress)
    worker = process(backend, folder / "worker", tasks, workers=1, progress=progress).ran
    return Pair(name, peer_adds, peer_worker, adds, worker)


def _rate(rate: Rate) -> str:
    return "FAILED" if rate.problems else f"{rate.per_second:,.0f}/s"


def _ratio(ours: Rate, theirs: Rate) -> str:
    if ours.problems or theirs.problems or not theirs.per_second:
        return "—"
    return f"{ours.per_second / theirs.per_second:.2f}x"


def table(pairs: dict[str, Pair], tasks: int) -> Table:
    result = Table(title=f"taskdesk beside its peers, N = {tasks:,}", title_justify="left")
    for header in ("backend", "measurement", "peer", "peer's", "taskdesk's", "taskdesk ÷ peer"):
        result.add_column(header, justify="left" if header in {"backend", "measurement",
                                                                "peer"} else "right")
    for backend, pair in pairs.items():
        result.add_row(backend, "add, one call each", pair.peer, _rate(pair.peer_adds),
                       _rate(pair.adds), _ratio(pair.adds, pair.peer_adds))
        mark = _worker_mark(pair)
        result.add_row("", "processed by 1 worker", pair.peer, _rate(pair.peer_worker),
                       _rate(pair.worker), f"{_ratio(pair.worker, pair.peer_worker)}{mark}",
                       end_section=True)
    return result


def _worker_mark(pair: Pair) -> str:
    if pair.worker.problems or pair.peer_worker.problems or not pair.peer_worker.per_second:
        return ""
    met = pair.worker.per_second >= WORKER_FACTOR * pair.peer_worker.per_second
    return f" {'✓' if met else '✗'} (≥ {WORKER_FACTOR:g}x)"


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    previous = signal.signal(signal.SIGTERM, exit_on_sigterm)
    try:
        return _run(options.tasks, tuple(options.backends))
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(tasks: int, backends: tuple[str, ...]) -> int:
    err = console(stderr=True)
    if not server(backends, err)[0]:
        return 2
    with tempfile.TemporaryDirectory(prefix="taskdesk-peers-") as tmp, progress_bars(
            err) as progress:
        python = peers_python(progress)
        pairs = {backend: measure(backend, Path(tmp) / backend, tasks, python, progress)
                 for backend in backends}
    console().print(table(pairs, tasks))
    problems = [problem for pair in pairs.values() for rate in (
        pair.peer_adds, pair.peer_worker, pair.adds, pair.worker) for problem in rate.problems]
    for problem in problems:
        err.print(f"✗ {problem}", markup=False)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
