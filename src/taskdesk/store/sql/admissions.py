"""When a claim first admits held tasks (limits.py): the gate, as promotions.py is for delayed
tasks.

A full admission looks at every key that has held tasks: a store runs one when its last is
ADMIT_SECONDS old, and at its next claim after it wrote something that may have held a task
or freed a slot (an add, a status change, a recovery). When this store's runner ends an
attempt of a limited task, its next claim admits for that task's key at once (`freed`), so a
slot passes to the key's next task without waiting. Slots freed by other processes are seen
by this store's next full admission: within ADMIT_SECONDS of a claim, and an idle worker
claims at least every TASKDESK_POLL_SECONDS. When nothing is held, a full admission is one
probe of an empty partial index.

Shared by the worker threads of a store: a race between two of them costs at most one extra
admission, never a slot (the database decides, limits.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime, timedelta

ADMIT_SECONDS = 0.05  # the longest a claim goes without a full admission
_ADMIT = timedelta(seconds=ADMIT_SECONDS)


class Admissions:
    def __init__(self) -> None:
        self._next: datetime | None = None  # None: a full admission at the next claim
        self._last: datetime | None = None
        self._keys: set[str] = set()  # keys whose slots this store freed since
        self._lock = threading.Lock()

    def due(self, now: datetime) -> bool:
        next_, last = self._next, self._last
        return bool(self._keys) or next_ is None or last is None or now >= next_ or now < last

    def take(self, now: datetime) -> tuple[bool, set[str]]:
        """Whether this admission is full (every key), and the freed keys to admit for."""
        with self._lock:
            next_, last = self._next, self._last
            full = next_ is None or last is None or now >= next_ or now < last
            keys, self._keys = self._keys, set()
            if full:
                self._last, self._next = now, now + _ADMIT
            return full, keys

    def freed(self, keys: Iterable[str | None]) -> None:
        """This store ended attempts of tasks with these keys (None: unlimited)."""
        found = {key for key in keys if key is not None}
        if found:
            with self._lock:
                self._keys |= found

    def forget(self) -> None:
        """This store wrote something that may hold a task or free a slot."""
        self._next = None
