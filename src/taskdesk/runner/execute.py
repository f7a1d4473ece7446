"""One attempt of one task: resolve its action, check its args, call it, read the result.

A handler's result: None or a string → complete (the string is the response); OpenCart's
{"success": …} → complete, {"error": …} → failed at once; anything else JSON-able → complete
with its JSON as the response. An exception → retried while attempts remain, else failed, with
the message and traceback kept. A bad action or bad args fail at once: retrying cannot help.

Whatever the handler does, execute() returns an Outcome whose text any store accepts (see
taskdesk.text): only the runner's own abort (the second stop signal) passes through. A task's
own KeyboardInterrupt, SystemExit or bare BaseException is its failure, never the runner's.
"""

from __future__ import annotations

import inspect
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from contextlib import suppress
from datetime import datetime
from functools import lru_cache, partial
from types import FunctionType

from taskdesk.clock import Clock
from taskdesk.controller import Handler
from taskdesk.errors import BadAction, BadArgs
from taskdesk.models.failures import CLASS_BYTES, ERROR_RESULT, NOT_STORED, class_name
from taskdesk.models.retry import RetryPolicy
from taskdesk.models.tasks import Outcome, Status, Task
from taskdesk.runner.shutdown import is_abort
from taskdesk.text import error_text, json_text, safe_str, storable, type_name

Resolve = Callable[[Task], Handler]

MESSAGE_BYTES = 16 * 1024  # of an exception's message, before its traceback
LINE_BYTES = 4 * 1024  # of one traceback line (the last repeats the message)


def execute(task: Task, resolve: Resolve, *, retry: RetryPolicy, clock: Clock) -> Outcome:
    started = time.perf_counter()
    parent = os.getpid()
    try:
        handler = resolve(task)
        check_signature(handler, task)
        result = handler(**task.args)
    except (BadAction, BadArgs) as error:  # retrying cannot help
        return _outcome(Status.FAILED, error.message, started, class_name(error))
    except BaseException as error:  # a task's sys.exit() or Ctrl-C must not stop the runner
        _leave_if_forked(parent, error)
        if is_abort(error):
            raise
        return _guarded(partial(_raised, task, error, started, retry, clock()), started)
    _leave_if_forked(parent, None)
    return _guarded(partial(_from_result, result, started), started)


def check_signature(handler: Handler, task: Task) -> None:
    try:
        signature = (_function_signature(handler) if isinstance(handler, FunctionType)
                     else inspect.signature(handler))
    except (TypeError, ValueError):  # some builtins have none: let the call decide
        return
    try:
        signature.bind(**task.args)
    except TypeError as error:
        raise BadArgs(
            f"args {json.dumps(task.args)} do not fit {task.action}{signature}: {error}"
        ) from None


@lru_cache(maxsize=1024)
def _function_signature(function: FunctionType) -> inspect.Signature:
    """A plain function's signature, read once (a bound method is new for every task)."""
    return inspect.signature(function)


def _leave_if_forked(parent: int, error: BaseException | None) -> None:
    """A child that a handler forked and that came back here must not go on as a second
    runner with our identity and our database connections: it ends at once."""
    if os.getpid() == parent:
        return
    code = 0 if error is None else 1
    if isinstance(error, SystemExit) and isinstance(error.code, int):
        code = error.code
    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):  # a closed or broken stream: nothing more to say
            stream.flush()
    os._exit(code)


def _guarded(build: Callable[[], Outcome], started: float) -> Outcome:
    """The outcome `build` makes, or a short failure that says why it could not be made."""
    try:
        return build()
    except BaseException as error:
        if is_abort(error):
            raise
        try:
            reason = error_text(error)
        except BaseException:  # even its name raised: say no more
            reason = type_name(error)
        return _outcome(Status.FAILED, f"the task's outcome could not be read: {reason}",
                        started, NOT_STORED)


def _raised(task: Task, error: BaseException, started: float, retry: RetryPolicy,
            now: datetime) -> Outcome:
    message = storable(f"{type_name(error)}: {safe_str(error)}", MESSAGE_BYTES)
    return failed_attempt(task, f"{message}\n\n{_traceback_text(error)}", started=started,
                          retry=retry, now=now, error_class=class_name(error))


def failed_attempt(task: Task, details: str, *, started: float, retry: RetryPolicy,
                   now: datetime, error_class: str) -> Outcome:
    """A failed attempt that may be tried again: retried while attempts remain, else failed;
    `error_class` names what failed it (taskdesk.models.failures)."""
    details = storable(details)
    if task.attempts >= task.max_attempts:
        return _outcome(Status.FAILED, details, started, error_class)
    retry_at = retry.next_run_at(task.attempts, now)
    comment = f"{details}\nretry {task.attempts + 1} of {task.max_attempts} at {retry_at:%c} UTC"
    return Outcome(status=Status.PENDING, response=details, comment=storable(comment),
                   duration=time.perf_counter() - started, retry_at=retry_at,
                   error_class=storable(error_class, CLASS_BYTES))


def cancelled_attempt(outcome: Outcome) -> Outcome:
    """The outcome of an attempt whose task was cancelled while it ran: `cancelled`, saying
    how the attempt ended (the store refuses it: it is only logged)."""
    if outcome.status is Status.CANCELLED:
        return outcome
    comment = storable(f"cancelled while running; the attempt ended {outcome.status.value}: "
                       f"{outcome.comment}")
    return Outcome(status=Status.CANCELLED, response=outcome.response, comment=comment,
                   duration=outcome.duration)


def _traceback_text(error: BaseException) -> str:
    try:
        lines = traceback.format_exception(error)
    except Exception as failure:  # the traceback module is careful; this is belt and braces
        return f"(the traceback could not be formatted: {type_name(failure)})"
    return "".join(storable(line, LINE_BYTES) for line in lines)


def _from_result(result: object, started: float) -> Outcome:
    if result is None:
        return _outcome(Status.COMPLETE, None, started)
    if isinstance(result, str):
        return _outcome(Status.COMPLETE, json_text(result), started)
    if isinstance(result, Mapping) and result.get("error"):
        return _outcome(Status.FAILED, json_text(result["error"]), started, ERROR_RESULT)
    if isinstance(result, Mapping) and "success" in result:
        return _outcome(Status.COMPLETE, json_text(result["success"]), started)
    return _outcome(Status.COMPLETE, json_text(result), started)


def _outcome(status: Status, response: str | None, started: float,
             error_class: str | None = None) -> Outcome:
    """The outcome with its response (and error class) made storable: escaped and capped."""
    text = None if response is None else storable(response)
    return Outcome(status=status, response=text, comment=text or status.value,
                   duration=time.perf_counter() - started,
                   error_class=None if error_class is None else storable(error_class,
                                                                         CLASS_BYTES))
