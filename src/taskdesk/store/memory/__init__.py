"""The memory backend: MemoryStore, the Store verbs in plain Python (store.py), one module
per story as the SQL backend has (tasks, claims, admin, log, accounts, schedules)."""

from __future__ import annotations

from taskdesk.store.memory.store import MemoryStore

__all__ = ["MemoryStore"]
