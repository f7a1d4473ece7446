"""Tasks of the runner's claim tests: each stamps when it ended, in a file of its own, so
that a test can compare when an attempt ended with when its outcome was stored."""

from __future__ import annotations

import time
from pathlib import Path


def stamp(folder: str, name: str, seconds: float = 0.0) -> None:
    """Sleep `seconds` (a slow task marks its start first), then write the time it ended."""
    if seconds:
        (Path(folder) / f"{name}.started").write_text(repr(time.time()))
        time.sleep(seconds)
    (Path(folder) / f"{name}.ended").write_text(repr(time.time()))


def ended(folder: Path, name: str) -> float:
    return float((folder / f"{name}.ended").read_text())


def started(folder: Path, name: str) -> float:
    return float((folder / f"{name}.started").read_text())
