"""An extension author's findings (issue 7 items 24, 28): the registry takes ISO 8601 text
for run_at, and a missing extension's error says where it was looked for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from taskdesk.admin import Admin
from taskdesk.errors import BadInput, ExtensionNotFound
from taskdesk.testing import memory_desk
from tests.support import FakeClock

pytestmark = pytest.mark.hostile


def test_run_at_takes_iso_8601_text_a_timedelta_or_an_aware_datetime(tmp_path: Path) -> None:
    clock = FakeClock()
    desk = memory_desk(home=tmp_path, clock=clock, allowed_actions=("tests",))

    assert desk.tasks.add("a", "tests.support.handlers:noop",
                          run_at="2030-01-01T00:00:00Z").run_at \
        == datetime(2030, 1, 1, tzinfo=UTC)
    assert desk.tasks.add("b", "tests.support.handlers:noop",
                          run_at="2030-01-01T02:00:00+02:00").run_at \
        == datetime(2030, 1, 1, tzinfo=UTC)
    assert desk.tasks.add("c", "tests.support.handlers:noop", run_at=timedelta(hours=1)).run_at \
        == clock() + timedelta(hours=1)
    for bad in ("soon", datetime(2030, 1, 1), 12, "9999-12-31T23:59:59-05:00"):
        with pytest.raises(BadInput, match="run_at"):
            desk.tasks.add("d", "tests.support.handlers:noop", run_at=bad)  # type: ignore[arg-type]
    assert desk.tasks.count(code="d") == 0


def test_a_missing_extension_says_which_folder_was_searched(tmp_path: Path) -> None:
    desk = memory_desk(home=tmp_path)

    with pytest.raises(ExtensionNotFound) as missing:
        Admin(desk).extensions.install("nowhere")

    assert str(tmp_path / "extensions") in missing.value.message
