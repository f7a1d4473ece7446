"""What a reason check looks at: the task, the store, the moment, and the allow-list and the
extension catalogue of the desk the task would run under."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from taskdesk.clock import isoformat
from taskdesk.models.extensions import Extension
from taskdesk.models.runners import RunnerInfo
from taskdesk.models.tasks import Task
from taskdesk.models.why import Reason
from taskdesk.store import Store


@dataclass(frozen=True, kw_only=True)
class Scene:
    """One task as a runner would meet it now. `check_action` is the allow-list's check
    (raises ActionNotAllowed with the message a runner gives); `extension` finds an
    extension by code (raises ExtensionNotFound); `app`: the application a worker is
    started with (`--app`), if known. Store reads are made when a check asks, once."""

    task: Task
    store: Store
    now: datetime
    lease_seconds: float
    check_action: Callable[[str], None]
    extension: Callable[[str], Extension]
    app: str | None = None

    @cached_property
    def runners(self) -> list[RunnerInfo]:
        """Every registered runner, alive or not."""
        return self.store.runners()

    @cached_property
    def live_runners(self) -> list[RunnerInfo]:
        """The runners seen within their lease."""
        return [info for info in self.runners if info.alive(self.now, self.lease_seconds)]

    def seconds_since(self, moment: datetime) -> float:
        return max((self.now - moment).total_seconds(), 0.0)

    def seconds_until(self, moment: datetime) -> float:
        return max((moment - self.now).total_seconds(), 0.0)


#: A reason check: the Reason it finds for the scene's task, or None when it does not hold.
Check = Callable[[Scene], Reason | None]


def stamp(moment: datetime) -> str:
    """A moment as the reason's words say it: ISO 8601 in UTC to the second (the facts keep
    it whole)."""
    return isoformat(moment.replace(microsecond=0)) or ""


def span(seconds: float) -> str:
    """A duration in words a person reads at a glance: `45 s`, `12 min`, `3.5 h`, `2 days`."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.0f} days"
