"""docs/reference.md names every setting and every command with its options, and the links of
the docs lead somewhere: the reference and the pages cannot fall behind the code."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import typer

from taskdesk import Settings
from taskdesk.cli import app
from taskdesk.config import ENV_PREFIX

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "docs" / "reference.md"
PAGES = [REPO / "README.md", REPO / "bench" / "README.md",
         *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCED = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
HEADING = re.compile(r"^#{1,6} +(.+?) *$", re.MULTILINE)


def _reference() -> str:
    return REFERENCE.read_text(encoding="utf-8")


def test_every_setting_is_in_the_reference() -> None:
    text = _reference()
    missing = [ENV_PREFIX + field.name.upper() for field in fields(Settings)
               if f"`{ENV_PREFIX}{field.name.upper()}`" not in text]
    assert missing == []


def _commands(command: Any, path: str) -> Iterator[tuple[str, Any]]:
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _commands(sub, f"{path} {name}")


COMMANDS = list(_commands(typer.main.get_command(app), "taskdesk"))


def _entry(text: str, path: str) -> str:
    """A command's entry: its `### `PATH`` section, or its table row `| `PATH …`."""
    heading = re.search(rf"^### `{re.escape(path)}`$(.*?)(?=^##)", text + "\n##",
                        re.DOTALL | re.MULTILINE)
    if heading:
        return heading.group(1)
    row = re.search(rf"^\| `{re.escape(path)}[ `].*$", text, re.MULTILINE)
    assert row, f"docs/reference.md has no section or table row for `{path}`"
    return row.group(0)


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[path for path, _ in COMMANDS])
def test_every_command_and_option_is_in_the_reference(path: str, command: Any) -> None:
    text = _reference()
    if path == "taskdesk":  # the root options: the start of "## Command line"
        entry = text.split("\n## Command line\n", 1)[1].split("\n### ", 1)[0]
    else:
        entry = _entry(text, path)
    options = [name for param in command.params if param.param_type_name == "option"
               for name in param.opts if name.startswith("--")]
    missing = [name for name in options if not re.search(rf"{re.escape(name)}(?![\w-])", entry)]
    assert missing == [], f"docs/reference.md: `{path}` does not mention {missing}"


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = FENCED.sub("", page.read_text(encoding="utf-8"))
    return {slug(heading) for heading in HEADING.findall(text)}


def links(page: Path) -> Iterator[str]:
    yield from LINK.findall(FENCED.sub("", page.read_text(encoding="utf-8")))


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(REPO)))
def test_every_relative_link_leads_to_a_file_and_its_heading(page: Path) -> None:
    broken = []
    for link in links(page):
        if re.match(r"[a-z]+:", link):  # https:, mailto: …
            continue
        target, _, anchor = link.partition("#")
        found = (page.parent / target).resolve() if target else page
        if not found.exists():
            broken.append(f"{link}: no such file")
            continue
        if anchor and found.suffix == ".md" and anchor not in anchors(found):
            broken.append(f"{link}: no such heading")
    assert broken == [], f"{page.relative_to(REPO)}: {broken}"


def test_the_readme_links_to_every_docs_page() -> None:
    linked = {(REPO / link.partition("#")[0]).resolve() for link in links(REPO / "README.md")}
    unlinked = [page.name for page in sorted((REPO / "docs").glob("*.md")) if page not in linked]
    assert unlinked == []
