"""errors: one root, and each class's docstring as its default message."""

from __future__ import annotations

import pytest

from taskdesk import errors
from taskdesk.errors import (
    BadAction,
    BadArgs,
    BadCode,
    BadInput,
    BadStatus,
    ConfigError,
    NotFound,
    SchemaOutOfDate,
    StoreError,
    StoreUnavailable,
    TaskdeskError,
    TaskNotFound,
)


@pytest.mark.parametrize(
    ("error", "parent"),
    [
        (ConfigError, TaskdeskError),
        (BadInput, TaskdeskError),
        (BadCode, BadInput),
        (BadAction, BadInput),
        (BadArgs, BadInput),
        (BadStatus, BadInput),
        (NotFound, TaskdeskError),
        (TaskNotFound, NotFound),
        (StoreError, TaskdeskError),
        (StoreUnavailable, StoreError),
        (SchemaOutOfDate, StoreError),
    ],
)
def test_hierarchy(error: type[TaskdeskError], parent: type[TaskdeskError]) -> None:
    assert issubclass(error, parent)


def test_every_error_has_a_default_message_from_its_docstring() -> None:
    classes = [value for value in vars(errors).values()
               if isinstance(value, type) and issubclass(value, TaskdeskError)]

    assert classes
    for cls in classes:
        assert cls.__doc__
        assert cls().message == cls.__doc__.strip()
        assert str(cls()) == cls.__doc__.strip()


def test_explicit_message() -> None:
    error = BadAction("action 'x' is bad")

    assert error.message == "action 'x' is bad"
    assert str(error) == "action 'x' is bad"


def test_empty_message_falls_back_to_the_default() -> None:
    assert TaskNotFound("").message == "No task has that id."
