"""One root for every error taskdesk raises on purpose.

Each class's docstring is its default message, and each class carries what it means to the
faces: the CLI's exit code and the web's HTTP status. Subclasses inherit both, so the class
tree is the one table (2 is also Click's code for a bad command line).
"""

from __future__ import annotations

from typing import ClassVar


class TaskdeskError(Exception):
    """taskdesk failed."""

    exit_code: ClassVar[int] = 1
    http_status: ClassVar[int] = 400

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())

    @property
    def message(self) -> str:
        return str(self.args[0])


class ConfigError(TaskdeskError):
    """A setting has a value taskdesk cannot use."""

    exit_code = 2
    http_status = 409


class BadInput(TaskdeskError):
    """The input is not valid."""

    exit_code = 2


class BadCode(BadInput):
    """A task code must be 1 to 128 characters of letters, digits, '_', '-', '.' or ':'."""


class BadAction(BadInput):
    """The action cannot be parsed or resolved to a handler."""


class ActionNotAllowed(BadAction):
    """The action is not on the allow-list: registered tasks, task/catalog/… controllers of
    installed extensions, and import paths under TASKDESK_ALLOWED_ACTIONS."""


class BadArgs(BadInput):
    """The args must be a JSON object whose keys fit the handler's parameters."""


class BadQueue(BadInput):
    """A queue name must be 1 to 64 characters of letters, digits, '_', '-' or '.'."""


class BadLimit(BadInput):
    """A task's limits: concurrency_limit a whole number of at least 1, rate_limit "N/s",
    "N/m" or "N/h" with N at least 1, limit_key the name of one of its parameters."""


class BadStatus(BadInput):
    """The status must be one of pending, processing, paused, complete, failed, cancelled."""


class BadProgress(BadInput):
    """Progress is a number from 0 to 100 (a percent), with an optional message of text."""


class BadPackage(BadInput):
    """The file is not a valid extension package."""


class BadUserName(BadInput):
    """A user name must be 1 to 64 characters of letters, digits, '.', '_', '@' or '-'."""


class BadPassword(BadInput):
    """A password must be 8 to 1024 characters of text."""


class BadRole(BadInput):
    """The role must be one of admin, operator, viewer."""


class BadLabel(BadInput):
    """A token label must be at most 128 characters of text."""


class BadExpiry(BadInput):
    """A token's expiry must be a number of days, more than 0."""


class BadSchedule(BadInput):
    """A schedule needs a 5-field cron expression or a cycle (minute, hour, day, week,
    month) with an interval from 1 to 1000, and a missed-firing policy of run-once or skip."""


class BadWorkflow(BadInput):
    """A workflow needs a name, tasks of its own and no cycle; it is enqueued once."""


class Conflict(TaskdeskError):
    """The change conflicts with what is stored."""

    http_status = 409


class UserExists(Conflict):
    """A user with that name exists already."""


class ScheduleExists(Conflict):
    """A schedule with that code exists already: delete it first."""


class LastAdmin(Conflict):
    """taskdesk keeps at least one admin: add another admin first."""


class NotFound(TaskdeskError):
    """The requested item does not exist."""

    exit_code = 3
    http_status = 404


class ScheduleNotFound(NotFound):
    """No schedule has that code."""


class WorkflowNotFound(NotFound):
    """No workflow has that id."""


class TaskNotFound(NotFound):
    """No task has that id."""


class HostNotFound(NotFound):
    """No host has that name."""


class ExtensionNotFound(NotFound):
    """No extension or module has that code."""


class UnknownUser(NotFound):
    """No user has that name."""


class UnknownToken(NotFound):
    """No API token has that id."""


class ExtensionError(TaskdeskError):
    """An extension could not be installed, uninstalled or removed."""

    http_status = 409


class WorkerFailed(TaskdeskError):
    """A worker thread died: the worker stopped so that its supervisor can restart it."""


class WaitTimedOut(TaskdeskError, TimeoutError):
    """The task did not finish within the time given to wait for it."""


class StoreError(TaskdeskError):
    """The database refused the operation."""

    exit_code = 4


class StoreUnavailable(StoreError):
    """The database cannot be reached."""

    http_status = 503


class SchemaOutOfDate(StoreError):
    """The database has no taskdesk schema, or an older one: run `taskdesk init`."""


class SchemaTooNew(StoreError):
    """The database was made by a newer taskdesk: upgrade taskdesk to use it."""


class ForeignDatabase(StoreError):
    """The database holds tables taskdesk did not make: give taskdesk its own database."""
