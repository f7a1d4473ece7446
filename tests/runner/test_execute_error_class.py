"""execute names what failed each failed attempt (Outcome.error_class): an exception's class,
qualified by its module unless a builtin, on the retried attempt and the last; OpenCart's
{"error": …}; a bad action or args; nothing on success. A class's name is the task's own
text: a huge one is capped, one that cannot be read is named `object`."""

from __future__ import annotations

from typing import Any

import pytest

from taskdesk.errors import BadArgs
from taskdesk.models.failures import CLASS_BYTES, ERROR_RESULT, class_name
from taskdesk.models.tasks import Status
from tests.runner.test_execute import make_task, raising, returning, run


class QuotaExceeded(Exception):
    pass


def test_a_builtin_exception_is_named_alone_and_retried_with_it() -> None:
    outcome = run(raising(ValueError("no")))
    assert (outcome.status, outcome.error_class) == (Status.PENDING, "ValueError")


def test_an_exception_of_a_module_is_qualified_on_the_last_attempt() -> None:
    outcome = run(raising(QuotaExceeded("over")), make_task(attempts=3, max_attempts=3))
    assert outcome.status is Status.FAILED
    assert outcome.error_class == f"{__name__}.QuotaExceeded"


def test_an_error_result_and_bad_args_have_their_names_and_success_none() -> None:
    assert run(returning({"error": "nope"})).error_class == ERROR_RESULT
    assert run(returning("fine")).error_class is None

    def takes_nothing() -> None:
        return None

    bad = run(takes_nothing, make_task(args={"x": 1}))
    assert (bad.status, bad.error_class) == (Status.FAILED, f"{BadArgs.__module__}.BadArgs")


def test_a_huge_or_hostile_class_name_is_capped_and_escaped() -> None:
    huge = type("E" * 100_000, (Exception,), {})
    outcome = run(raising(huge("x")))
    assert outcome.error_class is not None
    assert len(outcome.error_class.encode()) <= CLASS_BYTES

    nul = type("Bad", (Exception,), {})
    nul.__qualname__ = "Bad\x00Name\ud800"  # type() refuses such a name; this does not
    named = run(raising(nul("x"))).error_class
    assert named is not None
    assert "\x00" not in named
    named.encode("utf-8")  # storable: no lone surrogate


@pytest.mark.parametrize("attribute", ["__qualname__", "__module__"])
def test_a_class_whose_name_is_not_text_is_named_object(attribute: str) -> None:
    class Meta(type):
        def __getattribute__(cls, name: str) -> Any:
            if name == attribute:
                return 42
            return super().__getattribute__(name)

    odd = Meta("Odd", (Exception,), {})
    assert class_name(odd()) == "object"
