"""Runners' registrations and the record of their hosts, in memory (the SQL stores' are in
sql/hosts.py, which says why a host's record outlives its runners)."""

from __future__ import annotations

from dataclasses import replace

from taskdesk.models.runners import HostInfo, RunnerInfo, host_of
from taskdesk.store.memory.state import MemoryState


class MemoryHostVerbs(MemoryState):
    def register_runner(self, info: RunnerInfo) -> None:
        with self._lock:
            self._host_seen(info.hostname, info.last_seen_at)
            self._runners[info.runner_id] = info

    def unregister_runner(self, runner_id: str) -> None:
        with self._lock:
            now = self.clock()
            gone = self._runners.pop(runner_id, None)
            hostname = gone.hostname if gone else host_of(runner_id)
            known = self._hosts.get(hostname or "")
            if known is None:
                return
            left = any(info.hostname == hostname for info in self._runners.values())
            self._hosts[known.hostname] = replace(known, last_seen_at=now,
                                                  stopped_at=known.stopped_at if left else now)

    def runners(self) -> list[RunnerInfo]:
        with self._lock:
            return sorted(self._runners.values(), key=lambda info: info.started_at)

    def hosts(self) -> list[HostInfo]:
        with self._lock:
            return sorted(self._hosts.values(), key=lambda info: info.hostname)

    def forget_host(self, hostname: str) -> bool:
        with self._lock:
            return self._forget_host(hostname)
