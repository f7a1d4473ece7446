"""Hostile task handlers for the runner's tests (imported as tests.runner.hostile_handlers)."""

from __future__ import annotations

import os
import threading
import time

HUGE_RESPONSE_CHARACTERS = 10 * 1024 * 1024
DEEP_NESTING = 100_000


class Unprintable:
    """A value whose str() and repr() both raise."""

    def __str__(self) -> str:
        raise RuntimeError("no str for you")

    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


class UnprintableError(Exception):
    """An exception whose message cannot be read."""

    def __str__(self) -> str:
        raise RuntimeError("no message for you")

    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


def lone_surrogate() -> str:
    return "half a pair: \udc80 and \ud800 end"


def nul() -> str:
    return "before\x00after"


def raise_surrogate() -> None:
    raise RuntimeError("half a pair: \ud800")


def raise_nul() -> None:
    raise RuntimeError("before\x00after")


def raise_unprintable() -> None:
    raise UnprintableError


def unprintable() -> object:
    return Unprintable()


def unprintable_in_list() -> object:
    return [1, Unprintable()]


def deep() -> object:
    value: list[object] = []
    for _ in range(DEEP_NESTING):
        value = [value]
    return value


def huge() -> str:
    return "x" * HUGE_RESPONSE_CHARACTERS


def huge_error() -> None:
    raise RuntimeError("y" * HUGE_RESPONSE_CHARACTERS)


def raise_base(kind: str) -> None:
    """Raise KeyboardInterrupt, GeneratorExit, SystemExit or a bare BaseException."""
    kinds: dict[str, type[BaseException]] = {
        "KeyboardInterrupt": KeyboardInterrupt, "GeneratorExit": GeneratorExit,
        "SystemExit": SystemExit, "BaseException": BaseException,
    }
    raise kinds[kind](f"raised by the task: {kind}")


def stray_thread(seconds: float) -> str:
    """Start a non-daemon thread that outlives the task by `seconds`."""
    threading.Thread(target=time.sleep, args=(seconds,), name="stray", daemon=False).start()
    return "left a thread running"


def fork_and_return(marker: str) -> str:
    """Fork; the child writes its pid to `marker` and comes back into the runner, as a handler
    that forgets to exit its child does."""
    pid = os.fork()
    if pid == 0:
        with open(marker, "w") as file:
            file.write(str(os.getpid()))
        return "child"
    os.waitpid(pid, 0)
    return "parent"


def fork_and_exit() -> str:
    """Fork; the child leaves with sys.exit(), which runs the interpreter's clean-up."""
    pid = os.fork()
    if pid == 0:
        raise SystemExit(0)
    os.waitpid(pid, 0)
    return "parent"
