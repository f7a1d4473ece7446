"""An add in the caller's psycopg transaction (Django's connection, say) stores its enqueue
span's context through the same statements: PostgreSQL only."""

from __future__ import annotations

import psycopg
import pytest

from taskdesk import Taskdesk
from tests.tracing.app import ok
from tests.tracing.conftest import Spans
from tests.tracing.test_add_paths import only_enqueue
from tests.tracing.test_spans import is_child_of

pytestmark = pytest.mark.postgres


@pytest.fixture
def backend(postgres_url: str) -> str:
    return "postgres"


def test_in_a_psycopg_transaction(desk: Taskdesk, spans: Spans) -> None:
    with psycopg.connect(desk.settings.database_url) as connection:  # commits at the end
        task = ok.using(connection=connection).enqueue()

    only_enqueue(spans, [task], desk)
    desk.runner().drain()
    [enqueue] = spans.named("enqueue")
    [attempt] = spans.named("run")
    assert is_child_of(attempt, enqueue)
