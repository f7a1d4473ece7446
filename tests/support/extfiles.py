"""Helpers for tests that write extension folders and load them with ControllerLoader."""

from __future__ import annotations

import os
import uuid
from pathlib import Path


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
