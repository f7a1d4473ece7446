"""Every code block of README.md and docs/*.md marked runnable runs, for real, and succeeds.

The marking: an HTML comment on the line just before the block's opening fence.

    <!-- runnable -->                 run the block: ```python in `python -c` (so that it
                                      imports from the working folder, as a script of the
                                      reader's project would); ```sh, ```bash or ```console
                                      (only its `$ ` lines) in `bash -e`
    <!-- runnable: write PATH -->     write the block to PATH in the working folder (a module
                                      the following blocks import), run nothing
    <!-- runnable: fresh -->          run it as `runnable` does, but start a new session

A session is the marked blocks of one page from its first one (or from a `fresh` one) to the
next `fresh` one: they run in the order they are written, in one fresh working folder with one
fresh TASKDESK_HOME (`home/` in it), so a page can write a module, `taskdesk init`, enqueue and
run. Each session is a test of its own (sessions run in parallel under xdist). `taskdesk` is
this project's (the one beside `sys.executable`), the working folder holds a link `examples`
to the repository's examples/, TMPDIR is a short folder of its own, removed afterwards (so
`mktemp -d` leaves nothing behind), and no TASKDESK_* variable of the caller leaks in. A
failing block fails the test with its file and line, and what it printed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
MARK = re.compile(r"<!-- runnable(?:: write (?P<path>\S+)|: (?P<fresh>fresh))? -->")
FENCE = re.compile(r"```(?P<lang>\w*)\n(?P<code>.*?)^```", re.DOTALL | re.MULTILINE)
SHELLS = ("sh", "bash", "console")
BLOCK_SECONDS = 60  # a block that hangs (a worker never stopped) fails instead


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # of the opening fence, counted from 1
    lang: str
    code: str
    write_to: str | None
    fresh: bool = False

    @property
    def where(self) -> str:
        page = self.page.relative_to(REPO) if self.page.is_relative_to(REPO) else self.page
        return f"{page}:{self.line}"


def runnable_blocks(page: Path) -> list[Block]:
    """The blocks of `page` marked runnable, in order; a mark not followed by a fence fails."""
    text = page.read_text(encoding="utf-8")
    blocks = []
    for mark in MARK.finditer(text):
        fence = FENCE.match(text, mark.end() + 1)
        line = text.count("\n", 0, mark.end()) + 2
        block = Block(page, line, fence["lang"] if fence else "", fence["code"] if fence else "",
                      mark["path"], fresh=mark["fresh"] is not None)
        assert fence, f"{block.where}: a runnable mark without a block under it"
        blocks.append(block)
    return blocks


def _environment(folder: Path, tmp: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TASKDESK_")}
    env["TASKDESK_HOME"] = str(folder / "home")
    env["TMPDIR"] = str(tmp)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONPATH", None)
    return env


def _command(block: Block) -> list[str]:
    if block.lang == "python":
        return [sys.executable, "-c", block.code]
    if block.lang in SHELLS:
        code = block.code
        if block.lang == "console":
            code = "\n".join(line[2:] for line in code.splitlines() if line.startswith("$ "))
        return ["bash", "-e", "-o", "pipefail", "-c", code]
    raise AssertionError(f"{block.where}: a runnable block must be python, sh, bash or console,"
                         f" not {block.lang!r}")


def sessions(page: Path) -> list[list[Block]]:
    """The page's runnable blocks, cut before each `fresh` one."""
    found: list[list[Block]] = []
    for block in runnable_blocks(page):
        if block.fresh or not found:
            found.append([])
        found[-1].append(block)
    return found


def run_session(blocks: list[Block], tmp_path: Path) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "examples").symlink_to(REPO / "examples")
    # A short TMPDIR of its own: multiprocessing's forkserver puts its socket there, and a
    # socket's path must fit in 108 bytes (pytest's folders under xdist did not, at times).
    tmp = Path(tempfile.mkdtemp(prefix="tdoc-", dir="/tmp"))
    try:
        _run_blocks(blocks, folder, _environment(folder, tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run_blocks(blocks: list[Block], folder: Path, env: dict[str, str]) -> None:
    for block in blocks:
        if block.write_to is not None:
            target = folder / block.write_to
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.code, encoding="utf-8")
            continue
        try:
            done = subprocess.run(_command(block), cwd=folder, env=env, capture_output=True,
                                  text=True, timeout=BLOCK_SECONDS, check=False)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{block.where}: the block ran past {BLOCK_SECONDS} s", pytrace=False)
        if done.returncode != 0:
            pytest.fail(f"{block.where}: the block failed (exit {done.returncode})\n"
                        f"{done.stdout}{done.stderr}", pytrace=False)


SESSIONS = [session for page in PAGES for session in sessions(page)]


@pytest.mark.parametrize("blocks", SESSIONS, ids=[blocks[0].where for blocks in SESSIONS])
def test_the_runnable_blocks_of_a_session_run(blocks: list[Block], tmp_path: Path) -> None:
    run_session(blocks, tmp_path)


def test_the_readme_and_several_pages_have_runnable_blocks() -> None:
    names = {blocks[0].page.name for blocks in SESSIONS}
    assert "README.md" in names
    assert len(names) >= 4


def test_a_failing_block_is_reported_with_its_file_and_line(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# A page\n\n<!-- runnable -->\n```sh\necho oops; exit 3\n```\n",
                    encoding="utf-8")

    with pytest.raises(pytest.fail.Exception) as failed:
        run_session(runnable_blocks(page), tmp_path)

    assert f"{page}:4: the block failed (exit 3)" in str(failed.value)
    assert "oops" in str(failed.value)
