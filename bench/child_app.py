"""The application bench.child_cost drains: one no-op without a timeout, one with."""

from __future__ import annotations

from taskdesk.app import Taskdesk

desk = Taskdesk()


@desk.task(name="bench.in_thread")
def in_thread() -> None:
    """No timeout: runs in the runner's thread."""


@desk.task(name="bench.in_child", timeout=60)
def in_child() -> None:
    """A timeout: each attempt in a child process."""
