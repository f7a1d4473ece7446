"""Help that reads as prose: each command's line in a `--help` listing is its docstring's
first paragraph wrapped by the terminal, never by the docstring's own line breaks (which
showed as ragged short lines in `taskdesk --help`)."""

from __future__ import annotations

import pytest

from taskdesk.cli.help_text import fold
from tests.cli.harness import REPO_ROOT, clean_env
from tests.cli.inprocess import run_in_process

GROUPS = ["", "task", "extension", "log", "user", "schedule", "queue", "workflow"]
#: A wrapped line is at least this long unless it ends its text: the panel gives a command's
#: text about 60 columns at 80, and no word in taskdesk's help is longer than 25.
FULL_LINE = 35


def listing(help_text: str) -> dict[str, list[str]]:
    """The Commands panel of a help page: each command's text, as the lines it took."""
    panel = help_text.split("─ Commands ─", 1)[1].split("╰", 1)[0]
    rows: dict[str, list[str]] = {}
    name = ""
    for line in panel.splitlines()[1:]:
        cells = line.strip().strip("│").split(maxsplit=1)
        if not cells:
            continue
        if not line.startswith("│  "):  # a new command's first line
            name, text = cells[0], cells[1] if len(cells) > 1 else ""
            rows[name] = [text.strip()]
        else:
            rows[name].append(line.strip().strip("│").strip())
    return rows


@pytest.mark.parametrize("group", GROUPS)
def test_every_listed_command_is_wrapped_by_the_terminal(group: str) -> None:
    shown = run_in_process([*group.split(), "--help"], clean_env({}), REPO_ROOT)
    assert shown.code == 0, shown

    rows = listing(shown.stdout)

    assert rows, shown.stdout
    ragged = {name: lines for name, lines in rows.items()
              if any(len(line) < FULL_LINE for line in lines[:-1])}
    assert ragged == {}


def test_fold_joins_a_paragraphs_lines_and_keeps_paragraphs_and_marked_ones() -> None:
    text = """First line
        goes on.

        Second
        paragraph.

        \b
        kept
        as written"""
    assert fold(text) == ("First line goes on.\n\nSecond paragraph.\n\n\b\nkept\nas written")
