"""Limits by key (`@desk.task(concurrency_limit=, rate_limit=, limit_key=)`): the values, and
the rules that check them. No I/O; the stores enforce them at claim time (store/limits.py).

A definition's LimitSpec is checked when it is decorated. Each task added with it carries a
TaskLimit: its key (the definition's name, and with `limit_key` the value of that argument)
and the limits themselves, stored on the task's row, so that every runner on every host
enforces them whatever definitions it loaded.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from taskdesk.errors import BadLimit

PERIODS = {"s": 1, "m": 60, "h": 3600}  # a rate's period, in seconds, by its letter
MAX_KEY_LENGTH = 255  # the task table's limit_key column
MAX_LIMIT = 1_000_000  # a limit above this is surely a slip
_RATE = re.compile(r"\s*(\d{1,7})\s*/\s*([smh])\s*")


@dataclass(frozen=True)
class Rate:
    """At most `count` starts in any `seconds`-long window, per key."""

    count: int
    seconds: int

    def __str__(self) -> str:
        letter = next(k for k, v in PERIODS.items() if v == self.seconds)
        return f"{self.count}/{letter}"


def parse_rate(text: object) -> Rate:
    """"N/s", "N/m" or "N/h" with N from 1: anything else is one BadLimit."""
    found = _RATE.fullmatch(text) if isinstance(text, str) else None
    if found is None or not 1 <= int(found[1]) <= MAX_LIMIT:
        raise BadLimit(f"rate_limit {text!r} does not parse: write N/s, N/m or N/h with N "
                       f"from 1 to {MAX_LIMIT} (\"10/m\": at most 10 starts a minute per key)")
    return Rate(int(found[1]), PERIODS[found[2]])


@dataclass(frozen=True, kw_only=True)
class TaskLimit:
    """A task's limits as stored on its row: the key its slots are counted by, at most
    `concurrency` running at once, at most `rate` starting per period (None: no such limit)."""

    key: str
    concurrency: int | None = None
    rate: str | None = None  # Rate's text, "N/s|m|h"

    def parsed_rate(self) -> Rate | None:
        return None if self.rate is None else parse_rate(self.rate)


@dataclass(frozen=True, kw_only=True)
class LimitSpec:
    """A definition's limits, checked when it is decorated: `arg` names the parameter whose
    value keys them (None: one key for the whole definition)."""

    concurrency: int | None = None
    rate: Rate | None = None
    arg: str | None = None

    def for_task(self, name: str, args: dict[str, Any]) -> TaskLimit:
        """The limit of one task of definition `name` with these args."""
        key = name if self.arg is None else f"{name}[{self.arg}={_value(args.get(self.arg))}]"
        return TaskLimit(key=bounded_key(key), concurrency=self.concurrency,
                         rate=None if self.rate is None else str(self.rate))


def limit_spec(concurrency_limit: object, rate_limit: object, limit_key: object,
               parameters: tuple[str, ...]) -> LimitSpec | None:
    """The limits given to @desk.task, checked (one BadLimit for the first bad one); None
    when none is given."""
    if concurrency_limit is None and rate_limit is None:
        if limit_key is not None:
            raise BadLimit(f"limit_key {limit_key!r} needs concurrency_limit or rate_limit")
        return None
    if concurrency_limit is not None and (
            isinstance(concurrency_limit, bool) or not isinstance(concurrency_limit, int)
            or not 1 <= concurrency_limit <= MAX_LIMIT):
        raise BadLimit(f"concurrency_limit must be a whole number from 1 to {MAX_LIMIT}, "
                       f"not {concurrency_limit!r}")
    rate = None if rate_limit is None else parse_rate(rate_limit)
    if limit_key is not None and (not isinstance(limit_key, str) or limit_key not in parameters):
        named = ", ".join(parameters) or "none"
        raise BadLimit(f"limit_key {limit_key!r} names no parameter of the task "
                       f"(its parameters: {named})")
    assert concurrency_limit is None or isinstance(concurrency_limit, int)
    return LimitSpec(concurrency=concurrency_limit, rate=rate,
                     arg=limit_key if isinstance(limit_key, str) else None)


def bounded_key(key: str) -> str:
    """The key as the column holds it: a long one ends in a digest of the whole."""
    if len(key) <= MAX_KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{key[:MAX_KEY_LENGTH - 18]}…#{digest}"


def _value(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, kw_only=True)
class LimitHold:
    """Why a waiting task is held by its limit: its key, how many of the key's tasks hold a
    slot (running, or let through and about to be claimed), its limits, the starts in the
    rate's current window, and when the next start is allowed by the rate (None: when a
    running task ends, or now)."""

    key: str
    running: int
    concurrency_limit: int | None
    rate_limit: str | None
    started: int  # starts of the key in the last rate period (0 without a rate)
    next_slot_at: datetime | None
