"""Task handlers for the benchmark; the runner imports them as `bench.handlers:…`."""

from __future__ import annotations

import time


def noop() -> None:
    """Does nothing: what the benchmark measures is the runner itself."""


def stamp(path: str, n: int) -> None:
    """Appends `n` and the time it started: bench/wakeup.py's add→start latency."""
    started = time.time()
    with open(path, "a", encoding="utf-8") as out:
        out.write(f"{n} {started!r}\n")
