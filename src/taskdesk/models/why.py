"""Why a task is not running: one reason, in plain words, with the facts behind it.

    Reason(code="paused_queue", text="its queue mail is paused", facts={"queue": "mail"},
           hint="taskdesk queue resume mail")

`text`, the facts and the hint may hold text from outside (a queue's name, a runner's id, an
extension's import error): whoever shows them prints them literally or escapes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: A fact's value: what JSON carries as it is.
Fact = str | int | float | bool | None


@dataclass(frozen=True, kw_only=True)
class Reason:
    """The first reason that holds for a task (taskdesk.why's checks, in their order).

    `code` names the kind of reason (stable: scripts read it); `text` says it in words;
    `facts` are the values behind it (a queue, seconds, a runner); `hint` what to do about
    it (a command line), if anything; `waiting`: False when the task is not waiting at all
    (it runs, or it is complete)."""

    code: str
    text: str
    facts: Mapping[str, Fact] = field(default_factory=dict)
    hint: str | None = None
    waiting: bool = True
