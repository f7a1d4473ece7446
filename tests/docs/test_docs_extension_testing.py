"""The "Testing an extension" example of docs/extensions.md, run as written, from a working
folder that is not the repository (it must find its extension by its own path)."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "extensions.md"
MODULE = "docs_extension_testing_example"


def _example() -> str:
    section = DOC.read_text().split("## Testing an extension", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "docs/extensions.md lost its testing example"
    return match.group(1)


def test_the_extension_testing_example_passes(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    module = types.ModuleType(MODULE)
    module.__file__ = str(REPO / "examples" / "test_example.py")  # beside examples/test_module
    monkeypatch.setitem(sys.modules, MODULE, module)
    exec(compile(_example(), str(DOC), "exec"), module.__dict__)

    module.test_install_registers_my_task_and_it_logs(tmp_path / "home")
