"""The error log: the text file that `self.log.write()` appends to, shown by `taskdesk log
show` (OpenCart's System > Maintenance > Error logs). One entry per call, written with a single
append so that concurrent runners never interleave within an entry."""

from __future__ import annotations

import os
from collections import deque
from pathlib import Path

from taskdesk.clock import Clock, utcnow
from taskdesk.text import json_text

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class ErrorLog:
    def __init__(self, path: Path, *, clock: Clock = utcnow) -> None:
        self.path = path
        self._clock = clock

    def write(self, message: object) -> None:
        """Append `<UTC time> - <message>`; non-strings are written as JSON (or repr)."""
        line = f"{self._clock().strftime(TIME_FORMAT)} - {json_text(message)}\n"
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, line.encode("utf-8"))
        finally:
            os.close(descriptor)

    def read(self, *, tail: int | None = None) -> str:
        """The log's text, or its last `tail` lines; empty when nothing was written yet."""
        if not self.path.exists():
            return ""
        with self.path.open(encoding="utf-8", errors="replace", newline="\n") as file:
            if tail is None:
                return file.read()
            return "".join(deque(file, maxlen=tail))

    def size(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def clear(self) -> None:
        if self.path.exists():
            self.path.write_bytes(b"")
