"""on_stop(): the first SIGINT or SIGTERM asks the runner to finish what it is running and
exit; the second aborts at once (KeyboardInterrupt); later ones are ignored, so that nothing
interrupts the abort's clean-up (expiring the runner's leases). The previous handlers come back
when the block ends."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def on_stop(stop: threading.Event) -> Iterator[None]:
    aborting = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        if aborting.is_set():
            return
        if stop.is_set():
            aborting.set()
            raise KeyboardInterrupt
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
