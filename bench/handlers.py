"""Task handlers for the benchmark; the runner imports them as `bench.handlers:…`."""

from __future__ import annotations


def noop() -> None:
    """Does nothing: what the benchmark measures is the runner itself."""
