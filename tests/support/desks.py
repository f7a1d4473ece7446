"""A desk on the test's backend: a memory desk, or one on the backend's migrated database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from taskdesk import Taskdesk
from taskdesk.store import open_store
from taskdesk.testing import memory_desk


@contextmanager
def desk_on(backend: str, home: Path, request: pytest.FixtureRequest) -> Iterator[Taskdesk]:
    """A desk with no retry delay on `backend` (the `backend` fixture's value), closed after."""
    if backend == "memory":
        made = memory_desk(home=home, retry_delay_seconds=0)
    else:
        url = request.getfixturevalue("database_url")
        made = Taskdesk(store=open_store(url), home=home, retry_delay_seconds=0)
    try:
        yield made
    finally:
        made.close()
