"""The traced tests' application, loaded as `tests.tracing.app:desk` so that the child
processes of its tasks with a timeout can import it."""

from __future__ import annotations

from pathlib import Path

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

from taskdesk import Taskdesk

desk = Taskdesk()


@desk.task(name="traced.ok")
def ok() -> str:
    return "done"


@desk.task(name="traced.flaky", max_attempts=3, retry_delay=0)
def flaky(marker: str) -> str:
    """Fails its first attempt (the marker file is not there yet), then succeeds."""
    return _fail_once(marker)


@desk.task(name="traced.broken", max_attempts=1)
def broken() -> None:
    raise LookupError("nothing here")


@desk.task(name="traced.child_flaky", timeout=30, max_attempts=3, retry_delay=0)
def child_flaky(marker: str) -> str:
    """As traced.flaky, in a child process of its own (a timeout)."""
    return _fail_once(marker)


@desk.task(name="traced.where")
def where() -> str:
    """The span the task's own spans would nest in: its attempt's, in the runner's thread."""
    return _current_span()


@desk.task(name="traced.child_where", timeout=30)
def child_where() -> str:
    """As traced.where, in a child process (which has no tracer provider of its own)."""
    return _current_span()


@desk.task(name="traced.child_exports", timeout=30)
def child_exports(path: str) -> None:
    """In a child process: sets up a tracer provider whose spans wait in a batch (as an
    application's would), makes a span, and leaves its export to the child's last flush."""
    exporter = ConsoleSpanExporter(out=Path(path).open("a"),  # noqa: SIM115 (the exporter closes it)
                                   formatter=_parent_line)
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=600_000))
    trace.set_tracer_provider(provider)
    with trace.get_tracer("tests.tracing.app").start_as_current_span("inside the task"):
        pass


def _parent_line(span: ReadableSpan) -> str:
    parent = span.parent
    return f"{span.name} {parent.span_id:016x}\n" if parent else f"{span.name} -\n"


def _current_span() -> str:
    context = trace.get_current_span().get_span_context()
    return f"{context.trace_id:032x}-{context.span_id:016x}"


def _fail_once(marker: str) -> str:
    path = Path(marker)
    if not path.exists():
        path.write_text("failed once")
        raise ValueError("the first attempt fails")
    return "second time lucky"
