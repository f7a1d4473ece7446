"""A controller defined outside the allowed module, whose construction leaves a trace."""

from __future__ import annotations

import os

from taskdesk import Context, Controller

TRACE_ENV = "TASKDESK_TEST_TRACE"  # a file the constructor touches, if set


class Elsewhere(Controller):
    def __init__(self, context: Context) -> None:
        super().__init__(context)
        trace = os.environ.get(TRACE_ENV)
        if trace:
            open(trace, "w").close()

    def index(self) -> str:
        return "ran elsewhere"
