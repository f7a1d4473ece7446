"""Helpers for tests that write extension folders and load them with ControllerLoader."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from taskdesk.extensions.loader import PACKAGE_PREFIX


def unique_code(stem: str) -> str:
    """An extension code no other test uses, so that tests never share synthetic packages."""
    return f"{stem}_{uuid.uuid4().hex[:8]}"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def set_mtime_ns(path: Path, mtime_ns: int) -> None:
    os.utime(path, ns=(mtime_ns, mtime_ns))


def bump_mtime(path: Path, seconds: int = 2) -> None:
    """Make the file look rewritten later, whatever the file system's time granularity."""
    set_mtime_ns(path, path.stat().st_mtime_ns + seconds * 1_000_000_000)


def extension_modules() -> set[str]:
    return {name for name in sys.modules
            if name == PACKAGE_PREFIX or name.startswith(PACKAGE_PREFIX + ".")}


@contextmanager
def isolated_extension_modules() -> Iterator[None]:
    """Drop the synthetic extension modules a test created, once it ends."""
    before = extension_modules()
    try:
        yield
    finally:
        for name in extension_modules() - before:
            del sys.modules[name]
