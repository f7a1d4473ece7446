"""Which tasks a TaskFilter selects, in SQL: code and action as literal, case-insensitive
substrings (an exact code uses the index (code, task_id)), status, extension, queue, and args.

The args filter: every top-level key of the wanted object is in the task's args with an equal
JSON value. Equality is JSON's: nested objects and arrays compare whole, key order does not
matter, 1 equals 1.0, and true is not 1. The memory store's `args_contain` (memory/filters.py)
is the reference; here it has a form per dialect: `sqlite_args_match` (json_each, compared
structurally, so key order and number spelling do not matter) and `postgres_args_match` (jsonb
equality per key). Args text that is not valid JSON never matches and never breaks a listing:
SQLite checks json_valid first (inside a CASE, which SQLite evaluates in order), PostgreSQL
casts through taskdesk_jsonb(), which returns NULL for text jsonb refuses (migration 0006). A
cheap LIKE on each key's JSON text runs first on both, so that only rows that can match are
parsed.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Text,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB

from taskdesk.models.actions import SIDES as ROUTE_SIDES
from taskdesk.models.tasks import JsonObject, TaskFilter
from taskdesk.store.sql.schema import PROCESSING, task

INT64 = (-(2**63), 2**63 - 1)
#: The PostgreSQL function of migration 0006: the text as jsonb, or NULL when jsonb refuses it.
PG_JSONB = "taskdesk_jsonb"
_aliases = itertools.count(1)






def key_prefilter(column: ColumnElement[str], wanted: JsonObject) -> list[ColumnElement[bool]]:
    """Each key's JSON text must occur in the args text (as taskdesk writes it, or unescaped)."""
    conditions: list[ColumnElement[bool]] = []
    for key in wanted:
        forms = {json.dumps(key), json.dumps(key, ensure_ascii=False)}
        conditions.append(or_(*(column.contains(form, autoescape=True) for form in forms)))
    return conditions


def sqlite_args_match(column: ColumnElement[str], wanted: JsonObject) -> ColumnElement[bool]:
    matched = and_(func.json_type(column) == "object",
                   *(_has(column, key, value) for key, value in wanted.items()))
    return and_(*key_prefilter(column, wanted),
                case((func.json_valid(column) == 1, matched), else_=false()))


def _has(container: ColumnElement[Any], key: str | int, expected: object) -> ColumnElement[bool]:
    """The JSON container has `key` (a name, or an array's index) with a value equal to
    `expected`, compared structurally by json_each."""
    child = func.json_each(container).table_valued(
        "key", "value", "type", "atom").alias(f"args_{next(_aliases)}")
    return exists().where(child.c.key == key, *_equals(child.c, expected))


def _equals(element: Any, expected: object) -> list[ColumnElement[bool]]:
    kind, atom, value = element.type, element.atom, element.value
    if expected is None:
        return [kind == "null"]
    if isinstance(expected, bool):
        return [kind == ("true" if expected else "false")]
    if isinstance(expected, int | float):
        number = expected if INT64[0] <= expected <= INT64[1] else float(expected)
        return [kind.in_(("integer", "real")), atom == number]
    if isinstance(expected, str):
        return [kind == "text", atom == expected]
    if isinstance(expected, list):
        return [kind == "array", func.json_array_length(value) == len(expected),
                *(_has(value, index, item) for index, item in enumerate(expected))]
    assert isinstance(expected, dict)
    size = select(func.count()).select_from(
        func.json_each(value).table_valued("key").alias(f"args_{next(_aliases)}"))
    return [kind == "object", size.scalar_subquery() == len(expected),
            *(_has(value, key, item) for key, item in expected.items())]


def postgres_args_match(column: ColumnElement[str], wanted: JsonObject) -> ColumnElement[bool]:
    document = getattr(func, PG_JSONB)(column, type_=JSONB)
    equal = [document[key] == cast(literal(json.dumps(value), Text), JSONB)  # text, not JSON
             for key, value in wanted.items()]
    return and_(*key_prefilter(column, wanted), func.coalesce(and_(*equal), false()))


def filtered(where: TaskFilter, *, postgres: bool) -> list[ColumnElement[bool]]:
    """The conditions of list, count and the bulk verbs."""
    conditions: list[ColumnElement[bool]] = []
    if where.code and where.code_exact:
        conditions.append(task.c.code == where.code)
    elif where.code:
        conditions.append(task.c.code.icontains(where.code, autoescape=True))
    if where.action:
        conditions.append(task.c.action.icontains(where.action, autoescape=True))
    if where.status is not None:
        conditions.append(task.c.status == where.status.value)
    conditions.extend(task.c[name] == value for name, value in _exactly(where))
    if where.args:
        match = postgres_args_match if postgres else sqlite_args_match
        conditions.append(match(task.c.args, where.args))
    return conditions


def _exactly(where: TaskFilter) -> list[tuple[str, str]]:
    """The filter's columns that must be equal to a value, and their values."""
    named = {"extension": where.extension, "queue": where.queue,
             "error_class": where.error_class}
    return [(name, value) for name, value in named.items() if value is not None]


def of_extension(code: str) -> ColumnElement[bool]:
    """Tasks an extension added, or whose action is one of its routes."""
    return or_(task.c.extension == code,
               *(task.c.action.startswith(f"task/{side}/{code}.", autoescape=True)
                 for side in ROUTE_SIDES))


def idle(task_ids: Sequence[int]) -> tuple[ColumnElement[bool], ...]:
    """These tasks, unless a runner holds them."""
    return (task.c.task_id.in_(task_ids), task.c.status != PROCESSING)
