"""The test app's tasks, written as Django's documentation writes them."""

from __future__ import annotations

from typing import Any

try:
    from django.tasks import TaskContext, task
except ImportError:  # Django before 6: the backport
    from django_tasks import TaskContext, task


class OutOfStock(Exception):
    """What a failing task raises: its class path must reach TaskResult.errors."""


@task
def add(a: int, b: int) -> int:
    return a + b


@task
def echo(*args: Any, **kwargs: Any) -> dict[str, Any]:
    return {"args": list(args), "kwargs": kwargs}


@task
def reserve(sku: str) -> None:
    raise OutOfStock(f"no {sku} left")


@task(takes_context=True)
def attempt_number(context: TaskContext) -> list[Any]:
    return [context.attempt, context.task_result.id]


@task(takes_context=True, max_attempts=2, retry_delay=0)
def flaky(context: TaskContext) -> str:
    if context.attempt == 1:
        raise ConnectionError("the first attempt always fails")
    return "second time lucky"


@task
async def double(x: int) -> int:
    return x * 2


@task(queue_name="mail", priority=10)
def send_mail(to: str) -> str:
    return f"sent to {to}"


@task
def not_json() -> object:
    return object()


@task(every="day")
def nightly() -> str:
    return "tidied"


@task(timeout=30)
def in_a_child(n: int) -> list[int]:
    import os

    return [n, os.getpid()]


@task(timeout=0.5)
def too_slow() -> None:
    import time

    time.sleep(30)


@task
def leave() -> None:
    raise SystemExit("This Task failed due to SystemExit")
