"""on_stop(): the first SIGINT or SIGTERM asks the runner to finish what it is running and
exit; the second aborts at once (Abort, a KeyboardInterrupt); later ones are ignored, so that
nothing interrupts the abort's clean-up (expiring the runner's leases). The previous handlers
come back when the block ends.

The abort raises Abort rather than a plain KeyboardInterrupt, so that the runner can tell it
from a KeyboardInterrupt that a task raises itself: that one is only the task's failure."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Abort(KeyboardInterrupt):
    """The second stop signal: abort the runner now."""


def is_abort(error: BaseException) -> bool:
    """Abort, or a KeyboardInterrupt that may be Python's own answer to Ctrl-C (raised in the
    main thread while no on_stop handles SIGINT): never a task's failure, always the end."""
    if isinstance(error, Abort):
        return True
    return (isinstance(error, KeyboardInterrupt)
            and threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler)


@contextmanager
def on_stop(stop: threading.Event) -> Iterator[None]:
    aborting = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        if aborting.is_set():
            return
        if stop.is_set():
            aborting.set()
            raise Abort
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may handle signals; whoever runs us owns them
        return
    previous = {signum: signal.signal(signum, handle) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def leave_without_stray_threads(code: object) -> None:
    """At the command's exit, Python waits for every non-daemon thread: one that a task or an
    extension left running would hang the command after its work is done. If there is one,
    say so and exit at once with `code` (a SystemExit's); otherwise return."""
    stray = [thread.name for thread in threading.enumerate()
             if thread is not threading.current_thread() and not thread.daemon
             and thread.is_alive()]
    if not stray:
        return
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)  # what sys.exit("message") would have printed
    print(f"warning: exiting without waiting for {len(stray)} thread(s) that a task or an "
          f"extension left running: {', '.join(stray)}", file=sys.stderr)
    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):  # a closed stream: nothing more can be said
            stream.flush()
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)
