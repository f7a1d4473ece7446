"""Models: status parsing, args parsing and checking, and the JSON shapes of rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taskdesk.errors import BadArgs, BadStatus
from taskdesk.models.tasks import WAITING, Status, check_args, parse_args

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


# -- Status ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("pending", Status.PENDING),
        ("PROCESSING", Status.PROCESSING),
        ("Paused", Status.PAUSED),
        ("  complete\n", Status.COMPLETE),
        ("\tFaILeD ", Status.FAILED),
    ],
)
def test_status_parse_ignores_case_and_whitespace(text: str, status: Status) -> None:
    assert Status.parse(text) is status


@pytest.mark.parametrize("text", ["", "done", "pend", "complete d", "0", "success"])
def test_unknown_status_lists_the_five(text: str) -> None:
    with pytest.raises(BadStatus) as caught:
        Status.parse(text)

    message = caught.value.message
    assert repr(text) in message
    assert "pending, processing, paused, complete, failed" in message


def test_status_values_are_opencarts_then_cancelled() -> None:
    assert [status.value for status in Status] == [
        "pending", "processing", "paused", "complete", "failed", "cancelled",
    ]


def test_waiting_statuses() -> None:
    assert {Status.PENDING, Status.PAUSED, Status.FAILED, Status.CANCELLED} == WAITING


# -- parse_args / check_args ----------------------------------------------------------

def test_parse_args_object() -> None:
    assert parse_args('{"pages": 3, "name": "x", "nested": {"a": [1, null]}}') == {
        "pages": 3, "name": "x", "nested": {"a": [1, None]},
    }


def test_parse_args_empty_object() -> None:
    assert parse_args("{}") == {}


@pytest.mark.parametrize(
    ("text", "kind"),
    [("[]", "list"), ("[1, 2]", "list"), ("3", "int"), ('"x"', "str"), ("null", "NoneType"),
     ("true", "bool"), ("1.5", "float")],
)
def test_parse_args_rejects_non_objects(text: str, kind: str) -> None:
    with pytest.raises(BadArgs, match=f"must be a JSON object, not {kind}"):
        parse_args(text)


@pytest.mark.parametrize("text", ["", "{", "{'a': 1}", '{"a": 1,}', "{a: 1}", "nope"])
def test_parse_args_rejects_malformed_json(text: str) -> None:
    with pytest.raises(BadArgs, match="not valid JSON"):
        parse_args(text)


@pytest.mark.parametrize("text", ['{"a": NaN}', '{"a": Infinity}', '{"a": [-Infinity]}'])
def test_parse_args_rejects_non_finite_numbers(text: str) -> None:
    with pytest.raises(BadArgs, match="not JSON-serialisable"):
        parse_args(text)


def test_parse_args_rejects_deep_nesting_as_bad_args() -> None:
    depth = 100_000
    text = '{"a": ' + "[" * depth + "]" * depth + "}"

    with pytest.raises(BadArgs):
        parse_args(text)


@pytest.mark.parametrize(
    "value",
    [{1: "x"}, {None: "x"}, {("a", "b"): "x"}, {"ok": 1, 2: "x"}],
)
def test_check_args_rejects_non_string_keys(value: dict[Any, Any]) -> None:
    with pytest.raises(BadArgs, match="keys must be strings"):
        check_args(value)


@pytest.mark.parametrize(
    "value",
    [{"a": {1: "x"}}, {"a": [{2: "y"}]}],
)
def test_check_args_rejects_nested_non_string_keys(value: dict[str, Any]) -> None:
    """{"a": {1: "x"}} is stored as {"a": {"1": "x"}}: the args do not round-trip."""
    with pytest.raises(BadArgs):
        check_args(value)


@pytest.mark.parametrize(
    "value",
    [{"a": object()}, {"a": float("nan")}, {"a": {"b": float("inf")}}, {"a": {1, 2}}],
)
def test_check_args_rejects_values_json_cannot_hold(value: dict[str, Any]) -> None:
    with pytest.raises(BadArgs, match="not JSON-serialisable"):
        check_args(value)


def test_check_args_rejects_circular_args() -> None:
    value: dict[str, Any] = {}
    value["self"] = value

    with pytest.raises(BadArgs):
        check_args(value)


@pytest.mark.parametrize("value", [[], [("a", 1)], "x", 3, None])
def test_check_args_rejects_non_dicts(value: object) -> None:
    with pytest.raises(BadArgs, match="must be a JSON object"):
        check_args(value)


def test_check_args_returns_the_args_themselves() -> None:
    args = {"a": [1, 2], "b": {"c": None}}

    assert check_args(args) is args


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=15,
)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(max_size=8), _JSON, max_size=5))
def test_json_objects_round_trip_through_parse_args(args: dict[str, Any]) -> None:
    assert parse_args(json.dumps(args)) == args


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=50) | _JSON.map(json.dumps))
def test_parse_args_returns_a_dict_or_raises_bad_args(text: str) -> None:
    try:
        parsed: object = parse_args(text)
    except BadArgs as error:
        parsed = error
    assert isinstance(parsed, dict | BadArgs)


# -- to_dict --------------------------------------------------------------------------

