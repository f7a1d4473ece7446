"""MemoryPackageStore: the package verbs in plain Python, the reference for the SQL ones. It
shares its owner's lock and clock, and MemoryStore.atomic() puts it back on a rollback."""

from __future__ import annotations

import threading

from taskdesk.clock import Clock
from taskdesk.models.extensions import StoredPackage

Stored = dict[str, tuple[StoredPackage, bytes]]


class MemoryPackageStore:
    def __init__(self, clock: Clock, lock: threading.RLock) -> None:
        self._clock = clock
        self._lock = lock
        self._by_code: Stored = {}

    def snapshot(self) -> Stored:
        """Everything, for MemoryStore.atomic() to put back (the values are frozen)."""
        with self._lock:
            return dict(self._by_code)

    def restore(self, saved: Stored) -> None:
        with self._lock:
            self._by_code = saved

    def put(self, code: str, version: str, sha256: str, data: bytes) -> StoredPackage:
        stamp = StoredPackage(code=code, version=version, sha256=sha256, size=len(data),
                              date_added=self._clock())
        with self._lock:
            self._by_code[code] = (stamp, bytes(data))
        return stamp

    def stamp(self, code: str) -> StoredPackage | None:
        with self._lock:
            found = self._by_code.get(code)
        return None if found is None else found[0]

    def stamps(self) -> list[StoredPackage]:
        with self._lock:
            return [self._by_code[code][0] for code in sorted(self._by_code)]

    def data(self, code: str) -> tuple[StoredPackage, bytes] | None:
        with self._lock:
            return self._by_code.get(code)

    def delete(self, code: str) -> bool:
        with self._lock:
            return self._by_code.pop(code, None) is not None
