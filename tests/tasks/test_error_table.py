"""One error table: each error class carries its exit code and HTTP status, and the CLI and the
web both read them from the class (issue 15, item 5). The expected values are the two tables
the faces kept before, first match wins: CLI BadInput/ConfigError 2, NotFound 3, StoreError 4,
else 1; web NotFound 404, ExtensionError/Conflict/ConfigError 409, StoreUnavailable 503, else
400 (and the web's own NotLoggedIn 401, Forbidden 403)."""

from __future__ import annotations

import inspect

import pytest

from taskdesk import errors
from taskdesk.errors import TaskdeskError
from taskdesk.extensions.hook_process import HookUnfinished
from taskdesk.web.security import Forbidden, NotLoggedIn

EXPECTED = {  # class: (exit code, HTTP status), by the old tables
    "TaskdeskError": (1, 400), "ConfigError": (2, 409), "BadInput": (2, 400),
    "BadCode": (2, 400), "BadAction": (2, 400), "ActionNotAllowed": (2, 400),
    "BadArgs": (2, 400), "BadQueue": (2, 400), "BadStatus": (2, 400), "BadProgress": (2, 400),
    "BadLimit": (2, 400),
    "BadPackage": (2, 400), "BadUserName": (2, 400), "BadPassword": (2, 400),
    "BadRole": (2, 400), "BadLabel": (2, 400), "BadExpiry": (2, 400), "BadSchedule": (2, 400),
    "BadWorkflow": (2, 400), "WorkflowNotFound": (3, 404),
    "Conflict": (1, 409), "UserExists": (1, 409), "ScheduleExists": (1, 409),
    "LastAdmin": (1, 409), "NotFound": (3, 404), "ScheduleNotFound": (3, 404),
    "TaskNotFound": (3, 404), "ExtensionNotFound": (3, 404), "UnknownUser": (3, 404),
    "UnknownToken": (3, 404), "HostNotFound": (3, 404), "ExtensionError": (1, 409),
    "WorkerFailed": (1, 400), "WaitTimedOut": (1, 400),
    "StoreError": (4, 400), "StoreUnavailable": (4, 503), "SchemaOutOfDate": (4, 400),
    "SchemaTooNew": (4, 400), "ForeignDatabase": (4, 400),
}


def error_classes() -> dict[str, type[TaskdeskError]]:
    return {name: kind for name, kind in inspect.getmembers(errors, inspect.isclass)
            if issubclass(kind, TaskdeskError)}


def test_every_error_class_is_in_the_table() -> None:
    assert set(error_classes()) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_class_carries_its_exit_code_and_status(name: str) -> None:
    kind = error_classes()[name]
    assert (kind.exit_code, kind.http_status) == EXPECTED[name]


def test_the_webs_own_refusals_and_an_unfinished_hook() -> None:
    assert (NotLoggedIn.http_status, Forbidden.http_status) == (401, 403)
    assert (HookUnfinished.exit_code, HookUnfinished.http_status) == (1, 409)
