"""Issue 7, items 9, 10, 12 and 13: every CLI error path the hostile tester found prints
exactly one line starting with `error:` on stderr, no traceback, and exits non-zero.

Each case builds its trouble in a fresh installation (a data folder that is a file, a
read-only file system, a database of a newer taskdesk or of another application, an
absurd setting, a command-line mistake) and runs the command in-process; one case runs a
real `python -m taskdesk` process, where Click used to print a 6-line panel."""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.cli.harness import REPO_ROOT, clean_env
from tests.cli.hostile_support import Home, Run, invoke, one_error_line
from tests.extensions.support import module_source, unique_code, write_extension, zip_folder

pytestmark = pytest.mark.hostile


class Trouble(NamedTuple):
    """What a case runs, once its trouble is in place; `words` must be in the error line."""

    run: Callable[[Home, Path, pytest.MonkeyPatch], Run]
    code: int
    words: tuple[str, ...]


def read_only(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """The data folder as on a read-only mount: every write under it fails with EROFS (as
    root, chmod cannot make a folder read-only). The database lives outside it."""
    def refuse(path: object) -> None:
        if str(os.fspath(path)).startswith(str(home)):  # type: ignore[call-overload]
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    real_open, real_mkdir, real_os_open = Path.open, os.mkdir, os.open

    def path_open(self: Path, mode: str = "r", *args: object, **kwargs: object) -> object:
        if set(mode) & set("wax+"):
            refuse(self)
        return real_open(self, mode, *args, **kwargs)  # type: ignore[call-overload]

    def os_open(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            refuse(path)
        return real_os_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    def mkdir(path: object, *args: object, **kwargs: object) -> None:
        refuse(path)
        real_mkdir(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", path_open)
    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(os, "mkdir", mkdir)


def fresh_home(tmp: Path, env: dict[str, str] | None = None, *args: str) -> Run:
    """`taskdesk [ARGS]` with a data folder of its own under `tmp`."""
    return invoke(["--home", str(tmp / "home2"), "--database-url",
                   f"sqlite:///{tmp / 'other.db'}", *args], env)


def sqlite_database(tmp: Path, *statements: str) -> str:
    path = tmp / "prepared.db"
    with sqlite3.connect(path) as conn:
        for statement in statements:
            conn.execute(statement)
    return f"sqlite:///{path}"


def on_database(url: str, *args: str) -> Run:
    return invoke(["--home", "/nonexistent-unused", "--database-url", url, *args])


ALEMBIC = "CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"


def package(tmp: Path) -> Path:
    code = unique_code("matrix")
    folder = write_extension(tmp / "src" / code, code, {
        f"admin/controller/module/{code}.py": module_source("Module")})
    return zip_folder(folder, tmp / f"{code}.zip")


def home_is_a_file(home: Home, tmp: Path, mp: pytest.MonkeyPatch) -> Run:
    (tmp / "afile").write_text("not a folder")
    return invoke(["--home", str(tmp / "afile"), "--database-url",
                   f"sqlite:///{tmp / 'x.db'}", "init"])


def home_under_a_file(home: Home, tmp: Path, mp: pytest.MonkeyPatch) -> Run:
    (tmp / "afile").write_text("not a folder")
    return invoke(["--home", str(tmp / "afile" / "home"), "--database-url",
                   f"sqlite:///{tmp / 'x.db'}", "init"])


def init_read_only(home: Home, tmp: Path, mp: pytest.MonkeyPatch) -> Run:
    read_only(mp, tmp / "home2")
    return fresh_home(tmp, None, "init")


def upload_read_only(home: Home, tmp: Path, mp: pytest.MonkeyPatch) -> Run:
    zipped = package(tmp)
    read_only(mp, home.home)
    return home.run("extension", "upload", str(zipped))


def background_read_only(home: Home, tmp: Path, mp: pytest.MonkeyPatch) -> Run:
    read_only(mp, home.home)
    return home.run("start", "--background")


def log_clear_read_only(home: Home, tmp: Path, mp: pytest.MonkeyPatch) -> Run:
    home.desk().error_log.write("a line to clear")
    read_only(mp, home.home)
    return home.run("log", "clear")


def build_onto_a_file(home: Home, tmp: Path, mp: pytest.MonkeyPatch) -> Run:
    code = unique_code("build")
    folder = write_extension(tmp / code, code, {})
    (tmp / "hostname").write_text("a file, as /etc/hostname is")
    return home.run("extension", "build", str(folder), "--output", str(tmp / "hostname"))


def newer_revision(*args: str) -> Callable[[Home, Path, pytest.MonkeyPatch], Run]:
    def run(home: Home, tmp: Path, mp: pytest.MonkeyPatch) -> Run:
        url = sqlite_database(tmp, ALEMBIC, "INSERT INTO alembic_version VALUES ('0099')")
        return on_database(url, *args)
    return run


def foreign_revision(*args: str) -> Callable[[Home, Path, pytest.MonkeyPatch], Run]:
    def run(home: Home, tmp: Path, mp: pytest.MonkeyPatch) -> Run:
        url = sqlite_database(tmp, ALEMBIC, "INSERT INTO alembic_version VALUES ('ae1027a6acf')")
        return on_database(url, *args)
    return run


def foreign_task_table(*args: str) -> Callable[[Home, Path, pytest.MonkeyPatch], Run]:
    def run(home: Home, tmp: Path, mp: pytest.MonkeyPatch) -> Run:
        url = sqlite_database(tmp, "CREATE TABLE task (id INTEGER PRIMARY KEY, title TEXT)")
        return on_database(url, *args)
    return run


def setting(name: str, value: str, *args: str) -> Callable[[Home, Path, pytest.MonkeyPatch], Run]:
    def run(home: Home, tmp: Path, mp: pytest.MonkeyPatch) -> Run:
        return home.run(*args, env={name: value})
    return run


def command(*args: str) -> Callable[[Home, Path, pytest.MonkeyPatch], Run]:
    def run(home: Home, tmp: Path, mp: pytest.MonkeyPatch) -> Run:
        return home.run(*args)
    return run


CASES = [
    pytest.param(Trouble(home_is_a_file, 2, ("afile is a file, not a folder",)),
                 id="init-home-is-a-file"),
    pytest.param(Trouble(home_under_a_file, 2, ("afile is a file, not a folder",)),
                 id="init-home-under-a-file"),
    pytest.param(Trouble(init_read_only, 2, ("Read-only file system", "home2")),
                 id="init-read-only-filesystem"),
    pytest.param(Trouble(upload_read_only, 1, ("Read-only file system", "home")),
                 id="upload-read-only-home"),
    pytest.param(Trouble(background_read_only, 1, ("Read-only file system", "logs")),
                 id="start-background-read-only-home"),
    pytest.param(Trouble(log_clear_read_only, 1, ("Read-only file system", "error.log")),
                 id="log-clear-read-only-home"),
    pytest.param(Trouble(build_onto_a_file, 2, ("--output", "hostname", "is a file")),
                 id="build-output-is-a-file"),
    pytest.param(Trouble(newer_revision("init"), 4, ("newer taskdesk", "upgrade taskdesk")),
                 id="init-newer-revision"),
    pytest.param(Trouble(newer_revision("task", "list"), 4, ("newer taskdesk",)),
                 id="list-newer-revision"),
    pytest.param(Trouble(foreign_revision("init"), 4, ("ae1027a6acf", "not taskdesk's")),
                 id="init-foreign-alembic-revision"),
    pytest.param(Trouble(foreign_task_table("init"), 4, ("tables taskdesk did not make",
                                                         "task")),
                 id="init-foreign-task-table"),
    pytest.param(Trouble(foreign_task_table("task", "list"), 4,
                         ("tables taskdesk did not make",)), id="list-foreign-task-table"),
    pytest.param(Trouble(setting("TASKDESK_LEASE_SECONDS", "1e300", "task", "list"), 2,
                         ("TASKDESK_LEASE_SECONDS", "at most 86400")), id="lease-1e300"),
    pytest.param(Trouble(setting("TASKDESK_RETENTION_SECONDS", "1e300", "start"), 2,
                         ("TASKDESK_RETENTION_SECONDS", "100 years")), id="retention-1e300"),
    pytest.param(Trouble(setting("TASKDESK_POLL_SECONDS", "1e300", "worker"), 2,
                         ("TASKDESK_POLL_SECONDS", "at most 3600")), id="poll-1e300"),
    pytest.param(Trouble(command("task", "bogus"), 2, ("No such command 'bogus'", "--help")),
                 id="usage-unknown-command"),
    pytest.param(Trouble(command("task", "add"), 2, ("Missing argument",)),
                 id="usage-missing-argument"),
    pytest.param(Trouble(command("task", "list", "--limit", "many"), 2, ("--limit",)),
                 id="usage-bad-value"),
    pytest.param(Trouble(command("task", "list", "--colour"), 2, ("--colour",)),
                 id="usage-unknown-option"),
    pytest.param(Trouble(command("task", "add", "c", "tests.support.handlers:[/x]"), 2,
                         ("tests.support.handlers:[/x]",)), id="markup-in-an-error-message"),
    pytest.param(Trouble(command("task", "add", "c", "tests.support.handlers:noop", "--args",
                                 '{"x": "\\ud800"}', "--json"), 2, ("lone surrogate",)),
                 id="args-with-a-lone-surrogate"),
]


@pytest.mark.parametrize("trouble", CASES)
def test_each_error_path_prints_one_error_line(trouble: Trouble, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    home = Home.create(tmp_path)
    line = one_error_line(trouble.run(home, tmp_path, monkeypatch), trouble.code)
    for words in trouble.words:
        assert words in line, line


def test_a_usage_error_of_the_real_command_is_one_line() -> None:
    """`python -m taskdesk` goes through the same root command (no Rich panel)."""
    completed = subprocess.run([sys.executable, "-m", "taskdesk", "task", "bogus"],
                               cwd=REPO_ROOT, env=clean_env({}), capture_output=True,
                               text=True, timeout=60, check=False)
    run = Run(completed.returncode, completed.stdout, completed.stderr)
    assert one_error_line(run, 2) == (
        "error: No such command 'bogus' (see: python -m taskdesk task --help)")
