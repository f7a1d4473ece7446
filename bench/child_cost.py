"""What a timeout costs: no-op tasks drained in the runner's thread versus each in a child
process (a task with `timeout=`), on SQLite, one runner.

    .venv/bin/python -m bench.child_cost [--tasks 30]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.child_app import desk
from taskdesk.models.tasks import NewTask


def per_task_ms(action: str, tasks: int) -> float:
    desk.store.add([NewTask(code=f"{action}-{n}", action=action, max_attempts=1)
                    for n in range(tasks)])
    started = time.perf_counter()
    desk.runner().drain()
    return (time.perf_counter() - started) * 1000 / tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=30)
    tasks = parser.parse_args().tasks
    with tempfile.TemporaryDirectory() as folder:
        desk.configure(home=Path(folder), app="bench.child_app:desk")
        desk.init()
        rows = [(name, per_task_ms(name, tasks)) for name in ("bench.in_thread", "bench.in_child")]
        desk.close()
    print(f"| task ({tasks} no-ops, SQLite, one runner) | ms per task |")
    print("|---|---:|")
    for name, ms in rows:
        print(f"| {name} | {ms:.1f} |")


if __name__ == "__main__":
    main()
