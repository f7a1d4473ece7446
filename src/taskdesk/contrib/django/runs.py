"""How a runner runs a Django task: the taskdesk task's controller, one class per Django task.

Its args are `{"args": [...], "kwargs": {...}}`, Django's positional and keyword arguments as
enqueued. It closes Django's stale database connections around the call (as a request does),
sends `task_started` and `task_finished` with the TaskResult as it stands, gives a task that
`takes_context` its TaskContext (`attempt` counts from 1), runs an async function to its end,
and stores the return value as JSON text: a value JSON cannot hold fails the attempt.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from taskdesk import Controller
from taskdesk.errors import BadInput
from taskdesk.text import MAX_TEXT_BYTES

from . import compat
from .results import task_result

LOG_PAGE = 1000  # log entries read for a task's result (its attempts)


class DjangoTaskRun(Controller):
    """Runs `django_task` with a task's args; subclassed for each Django task (desks.py)."""

    django_task: ClassVar[Any]

    def index(self, args: list[Any] | None = None,
              kwargs: dict[str, Any] | None = None) -> str:
        from django.db import close_old_connections

        result = self._result()
        close_old_connections()
        compat.task_started.send(self._sender(), task_result=result)
        try:
            text = _json_text(self._call(result, args or [], kwargs or {}))
        except BaseException as error:
            self._finished(result, error)
            raise
        finally:
            close_old_connections()
        object.__setattr__(result, "_return_value", json.loads(text))
        self._finished(result, None)
        return text

    def _call(self, result: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
        task = self.django_task
        if task.takes_context:
            return task.call(compat.TaskContext(task_result=result), *args, **kwargs)
        return task.call(*args, **kwargs)

    def _result(self) -> Any:
        row = self.task
        if row is None:
            raise BadInput(f"{self.django_task.module_path} runs in a taskdesk runner "
                           "(call the function itself outside one)")
        log = self.tasks.log(task_id=row.task_id, limit=LOG_PAGE)
        return task_result(self.django_task, row, log, backend=self.django_task.backend)

    def _finished(self, result: Any, error: BaseException | None) -> None:
        """task_finished with the status get_result will show: SUCCESSFUL, FAILED for the
        last attempt, READY when taskdesk will try again."""
        from django.utils import timezone

        row = self.task
        status = compat.TaskResultStatus.SUCCESSFUL
        if error is not None:
            final = row is None or row.attempts >= row.max_attempts
            status = (compat.TaskResultStatus.FAILED if final
                      else compat.TaskResultStatus.READY)
            result.errors.append(compat.TaskError(
                exception_class_path=_class_path(error), traceback=_traceback(error)))
        object.__setattr__(result, "status", status)
        object.__setattr__(result, "finished_at", timezone.now())
        compat.task_finished.send(self._sender(), task_result=result)

    def _sender(self) -> type:
        return type(compat.task_backends[self.django_task.backend])


def _json_text(value: Any) -> str:
    """The return value as JSON text, as Django's own backends keep it; a value that JSON
    cannot hold, or too long to store whole, is the attempt's error."""
    text = json.dumps(compat.json_value(value))
    if len(text) > MAX_TEXT_BYTES:
        raise ValueError(f"the task's return value is {len(text)} bytes as JSON; "
                         f"taskdesk stores at most {MAX_TEXT_BYTES}")
    return text


def _class_path(error: BaseException) -> str:
    kind = type(error)
    return f"{kind.__module__}.{kind.__qualname__}"


def _traceback(error: BaseException) -> str:
    import traceback

    return "".join(traceback.format_exception(error))


