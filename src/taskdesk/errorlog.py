"""The error log: the text file that `self.log.write()` appends to, shown by `taskdesk log
show` (OpenCart's System > Maintenance > Error logs). One entry per call, written with a single
append so that concurrent runners never interleave within an entry."""

from __future__ import annotations

import json
import os
from collections import deque
from pathlib import Path

from taskdesk.clock import Clock, utcnow

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class ErrorLog:
    def __init__(self, path: Path, *, clock: Clock = utcnow) -> None:
        self.path = path
        self._clock = clock

    def write(self, message: object) -> None:
        """Append `<UTC time> - <message>`; non-strings are written as JSON (or repr)."""
        line = f"{self._clock().strftime(TIME_FORMAT)} - {_text(message)}\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(descriptor, line.encode("utf-8"))
        finally:
            os.close(descriptor)

    def read(self, *, tail: int | None = None) -> str:
        """The log's text, or its last `tail` lines; empty when nothing was written yet."""
        if not self.path.exists():
            return ""
        with self.path.open(encoding="utf-8", errors="replace") as file:
            if tail is None:
                return file.read()
            return "".join(deque(file, maxlen=tail))

    def size(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def clear(self) -> None:
        if self.path.exists():
            self.path.write_bytes(b"")


def _text(message: object) -> str:
    if isinstance(message, str):
        return message
    try:
        return json.dumps(message, default=str)
    except (TypeError, ValueError):
        return repr(message)
