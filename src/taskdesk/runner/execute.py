"""One attempt of one task: resolve its action, check its args, call it, read the result.

A handler's result: None or a string → complete (the string is the response); OpenCart's
{"success": …} → complete, {"error": …} → failed at once; anything else JSON-able → complete
with its JSON as the response. An exception → retried while attempts remain, else failed, with
the message and traceback kept. A bad action or bad args fail at once: retrying cannot help.
"""

from __future__ import annotations

import inspect
import json
import time
import traceback
from collections.abc import Callable, Mapping
from datetime import datetime

from taskdesk.clock import Clock
from taskdesk.controller import Handler
from taskdesk.errors import BadAction, BadArgs
from taskdesk.models import Outcome, Status, Task, json_text
from taskdesk.runner.retry import RetryPolicy

Resolve = Callable[[Task], Handler]


def execute(task: Task, resolve: Resolve, *, retry: RetryPolicy, clock: Clock) -> Outcome:
    started = time.perf_counter()
    try:
        handler = resolve(task)
        check_signature(handler, task)
        result = handler(**task.args)
    except (BadAction, BadArgs) as error:  # retrying cannot help
        return _outcome(Status.FAILED, error.message, started)
    except (Exception, SystemExit) as error:  # a task's sys.exit() must not stop the runner
        return _raised(task, error, started, retry, clock())  # the delay starts now
    return _from_result(result, started)


def check_signature(handler: Handler, task: Task) -> None:
    try:
        signature = inspect.signature(handler)
    except (TypeError, ValueError):  # some builtins have none: let the call decide
        return
    try:
        signature.bind(**task.args)
    except TypeError as error:
        raise BadArgs(
            f"args {json.dumps(task.args)} do not fit {task.action}{signature}: {error}"
        ) from None


def _raised(task: Task, error: BaseException, started: float, retry: RetryPolicy,
            now: datetime) -> Outcome:
    message = f"{type(error).__name__}: {error}"
    details = f"{message}\n\n{traceback.format_exc()}"
    if task.attempts >= task.max_attempts:
        return _outcome(Status.FAILED, details, started)
    retry_at = retry.next_run_at(task.attempts, now)
    comment = f"{details}\nretry {task.attempts + 1} of {task.max_attempts} at {retry_at:%c} UTC"
    return Outcome(status=Status.PENDING, response=details, comment=comment,
                   duration=time.perf_counter() - started, retry_at=retry_at)


def _from_result(result: object, started: float) -> Outcome:
    if result is None or isinstance(result, str):
        return _outcome(Status.COMPLETE, result, started)
    if isinstance(result, Mapping) and result.get("error"):
        return _outcome(Status.FAILED, json_text(result["error"]), started)
    if isinstance(result, Mapping) and "success" in result:
        return _outcome(Status.COMPLETE, json_text(result["success"]), started)
    return _outcome(Status.COMPLETE, json_text(result), started)


def _outcome(status: Status, response: str | None, started: float) -> Outcome:
    return Outcome(status=status, response=response, comment=response or status.value,
                   duration=time.perf_counter() - started)
