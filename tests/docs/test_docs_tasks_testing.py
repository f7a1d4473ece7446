"""The testing example of docs/tasks.md, run as a user's own test would run."""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "tasks.md"
MODULE = "docs_tasks_testing_example"


def _testing_example() -> str:
    section = DOC.read_text().split("## Testing your tasks", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "docs/tasks.md lost its testing example"
    return match.group(1)


@pytest.fixture
def example() -> Iterator[types.ModuleType]:
    module = types.ModuleType(MODULE)
    sys.modules[MODULE] = module  # as pytest imports a user's test module
    try:
        exec(compile(_testing_example(), str(DOC), "exec"), module.__dict__)
        yield module
    finally:
        del sys.modules[MODULE]


def test_the_testing_example_passes(example: types.ModuleType, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # its Taskdesk() must not need ./storage to exist
    example.test_welcome_is_sent(tmp_path)

    assert example.sent == [42]


def test_the_example_fails_when_its_task_fails(example: types.ModuleType,
                                               tmp_path: Path) -> None:
    example.sent.append(0)  # as if an earlier run had sent something: the assertion notices

    with pytest.raises(AssertionError):
        example.test_welcome_is_sent(tmp_path)
