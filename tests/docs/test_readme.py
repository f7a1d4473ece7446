"""README.md is the entry page: short, and its tour shows the example's code as it ships."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
MAX_LINES = 200
#: A python block whose first line names a file of the repository: `# examples/…/task.py`.
SHOWN_FILE = re.compile(r"```python\n# (?P<path>examples/\S+\.py)\n(?P<code>.*?)^```",
                        re.DOTALL | re.MULTILINE)


def test_the_readme_has_at_most_200_lines() -> None:
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"README.md has {lines} lines: move the detail to docs/"


def test_the_tour_shows_the_example_extension_as_it_ships() -> None:
    """Each line of code the tour shows is a line of the file it names, in the same order
    (the file may add comments and a docstring)."""
    shown = list(SHOWN_FILE.finditer(README.read_text(encoding="utf-8")))
    assert len(shown) == 2, "the tour shows step 1 and step 2"
    for block in shown:
        kept = iter(line.rstrip() for line in (REPO / block["path"]).read_text().splitlines())
        missing = [line for line in block["code"].splitlines()
                   if line.strip() and line.rstrip() not in kept]
        assert missing == [], f"{block['path']} does not hold, in this order: {missing}"
