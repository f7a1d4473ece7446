"""Spans of one test: an SDK tracer provider, set as the global one for that test only, its
finished spans kept in memory (InMemorySpanExporter, SimpleSpanProcessor)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.util._once import Once

from taskdesk import Taskdesk
from tests.tracing import app


@dataclass(frozen=True)
class Spans:
    """The spans finished so far, and a tracer of the same provider for the test's own."""

    exporter: InMemorySpanExporter
    tracer: trace.Tracer

    def finished(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def named(self, prefix: str) -> list[ReadableSpan]:
        """The finished spans whose name starts with `prefix`, in the order they ended."""
        return [span for span in self.finished() if span.name.startswith(prefix)]


def unset_global_provider() -> None:
    """OpenTelemetry lets a process set its global tracer provider once: each test sets its
    own and unsets it after (as opentelemetry-test-utils' reset_trace_globals does), so that
    no test's provider reaches another's."""
    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None


@pytest.fixture(autouse=True)
def _no_provider_left() -> Iterator[None]:
    """Whatever provider a test set up, the tests after it start with none."""
    yield
    unset_global_provider()


@pytest.fixture
def spans() -> Iterator[Spans]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    unset_global_provider()
    trace.set_tracer_provider(provider)
    try:
        yield Spans(exporter, provider.get_tracer("tests.tracing"))
    finally:
        unset_global_provider()
        provider.shutdown()


@pytest.fixture
def backend(real_backend: str) -> str:
    """SQLite and PostgreSQL: a child process opens the database too."""
    return real_backend


@pytest.fixture
def desk(tmp_path: Path, database_url: str) -> Iterator[Taskdesk]:
    """The traced application on the backend's fresh database, its settings given back
    after the test (the next test on this process configures it anew)."""
    saved = app.desk.settings
    app.desk.configure(home=tmp_path / "home", database_url=database_url,
                       allowed_actions=("tests",), app="tests.tracing.app:desk",
                       retry_delay_seconds=0)
    app.desk.init()
    yield app.desk
    app.desk.close()
    app.desk.configure(**{field.name: getattr(saved, field.name) for field in fields(saved)})
