"""Task handlers for the CLI's hostile tests: they hand back exactly the text they are given."""

from __future__ import annotations


def say(text: str) -> str:
    """Returns `text`: it becomes the task's response."""
    return text


def fail_with(text: str) -> None:
    """Fails with `text` as the message: it ends in the task's response and log."""
    raise RuntimeError(text)


def fail_as(name: str, text: str) -> None:
    """Raises an exception of a class named `name` (a class may name itself anything)."""
    raise type(name, (Exception,), {})(text)
