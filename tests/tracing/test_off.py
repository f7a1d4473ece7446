"""Tracing off: by TASKDESK_TRACING=off, with OpenTelemetry's API but no tracer provider, and
without OpenTelemetry at all. Nothing is stored, no span is made, and tasks run as ever."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.trace import NoOpTracerProvider

from taskdesk import Taskdesk
from taskdesk.config import Settings
from taskdesk.errors import ConfigError
from taskdesk.models.tasks import Status
from tests.tracing.app import child_flaky, ok
from tests.tracing.conftest import Spans, unset_global_provider
from tests.tracing.test_spans import run_until_ended, stored


def test_the_setting_turns_it_off(desk: Taskdesk, spans: Spans, tmp_path: Path) -> None:
    desk.close()
    desk.configure(tracing=False)

    with spans.tracer.start_as_current_span("request"):
        added = [ok.enqueue(), child_flaky.enqueue(marker=str(tmp_path / "marker"))]
    for task in added:
        run_until_ended(desk, task.task_id)

    assert [stored(desk, task.task_id).status for task in added] == [Status.COMPLETE] * 2
    assert [stored(desk, task.task_id).trace_context for task in added] == [None, None]
    assert [span.name for span in spans.finished()] == ["request"]


def test_the_setting_is_read_from_the_environment() -> None:
    assert Settings.from_env({"TASKDESK_TRACING": "off"}).tracing is False
    assert Settings.from_env({"TASKDESK_TRACING": "on"}).tracing is True
    assert Settings.from_env({}).tracing is True
    assert Settings(tracing=False).to_env()["TASKDESK_TRACING"] == "0"  # a child's settings
    with pytest.raises(ConfigError, match="TASKDESK_TRACING"):
        Settings.from_env({"TASKDESK_TRACING": "sometimes"})


@pytest.mark.parametrize("provider", [None, NoOpTracerProvider()], ids=["none", "no-op"])
def test_the_api_without_a_provider_stores_nothing(
    desk: Taskdesk, provider: NoOpTracerProvider | None,
) -> None:
    unset_global_provider()  # as an application that installed the extra but set none up
    if provider is not None:
        trace.set_tracer_provider(provider)  # or set OpenTelemetry's no-op one

    added = ok.enqueue()
    desk.runner().drain()

    assert stored(desk, added.task_id).status is Status.COMPLETE
    assert stored(desk, added.task_id).trace_context is None


#: A process where `import opentelemetry` fails, as where the extra is not installed.
WITHOUT_OPENTELEMETRY = textwrap.dedent("""
    import sys
    sys.modules["opentelemetry"] = None  # every import of it now raises ImportError
    from taskdesk import Taskdesk, tracing

    assert not tracing.INSTALLED and not tracing.is_on(True)
    assert tracing.span_context_of("00-" + "1" * 32 + "-" + "2" * 16 + "-01") is None
    desk = Taskdesk(home=sys.argv[1])
    desk.init()

    @desk.task(name="plain")
    def plain() -> str:
        return "ran"

    added = plain.enqueue()
    desk.runner().drain()
    task = desk.store.get(added.task_id)
    print(task.status.value, task.response, task.trace_context)
    print(sorted(name for name in sys.modules if name.startswith("opentelemetry")))
""")


def test_taskdesk_runs_without_opentelemetry(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", WITHOUT_OPENTELEMETRY, str(tmp_path / "home")],
                          capture_output=True, text=True, timeout=120, check=False)

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["complete ran None", "['opentelemetry']"]
