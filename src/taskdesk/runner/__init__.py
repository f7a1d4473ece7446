"""Runners: claim due tasks, execute them, record how each attempt ended."""

from __future__ import annotations

from taskdesk.runner.runner import Runner
from taskdesk.runner.seams import RunnerHooks, RunStats

__all__ = ["RunStats", "Runner", "RunnerHooks"]
