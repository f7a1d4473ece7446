"""Run the `taskdesk` command inside the test process: the same `taskdesk.cli.main()` that the
console script calls, with argv, environment, working folder, standard streams, sys.path, the
root logger and the signal handlers set for the one call and put back after it.

A process start and the imports cost about a second a command on this machine; in-process a
command costs what it does. What a fresh process would give for free is rebuilt here:

- the environment is exactly the one a subprocess would get (`os.environ` is replaced);
- stdin is empty, stdout and stderr are pipes (not terminals), read back as text;
- an exception that escapes `main()` is printed as the interpreter would (a traceback on
  stderr, exit code 1), so "no traceback" assertions still mean something;
- `main()`'s last step, which `os._exit`s when a task left a thread running, is replaced by a
  warning on stderr about threads started during this call (never the test process's own);
- an application named by TASKDESK_APP or --app is imported afresh, so that a module-level
  `Taskdesk()` (taskdesk.demo:desk) reads this call's settings, not the first test's;
- the Rich consoles of taskdesk.cli.output are built at import time, so the CLI is imported
  here under a piped environment: no colours, no terminal width, not interactive.
"""

from __future__ import annotations

import importlib
import io
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

#: Variables that Rich reads when a console is built: absent, as in a piped subprocess.
TERMINAL_VARIABLES = ("COLUMNS", "LINES", "FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE",
                      "TTY_INTERACTIVE")
#: Where main() leaves without waiting for stray threads; replaced for the call.
STRAY_THREAD_EXITS = (("taskdesk.cli", "leave_without_stray_threads"),
                      ("taskdesk.runner.shutdown", "leave_without_stray_threads"))


class Result(NamedTuple):
    code: int
    stdout: str
    stderr: str


def import_cli_as_if_piped() -> ModuleType:
    """taskdesk.cli, its consoles built as a piped `python -m taskdesk` builds them."""
    if "taskdesk.cli.output" not in sys.modules:
        saved = {name: os.environ.pop(name) for name in TERMINAL_VARIABLES if name in os.environ}
        streams = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = io.StringIO(), io.StringIO()
        try:
            importlib.import_module("taskdesk.cli")
        finally:
            sys.stdout, sys.stderr = streams
            os.environ.update(saved)
    return importlib.import_module("taskdesk.cli")


def run_in_process(args: Sequence[str], env: Mapping[str, str], cwd: Path) -> Result:
    """`taskdesk ARGS` with environment `env` in folder `cwd`, as a subprocess would run it."""
    cli = import_cli_as_if_piped()
    forget_applications(args, env)
    with ExitStack() as stack:
        stack.enter_context(environment(env))
        stack.enter_context(process_state(cwd, ["taskdesk", *args]))
        stack.enter_context(own_root_logger())
        stack.enter_context(no_os_exit_for_stray_threads())
        streams = stack.enter_context(standard_streams())
        code = exit_code(cli.main)
    return Result(code, streams.stdout, streams.stderr)


def exit_code(main: Callable[[], object]) -> int:
    """What the process would exit with; an escaped exception's traceback goes to stderr."""
    try:
        main()
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            return done.code or 0
        print(done.code, file=sys.stderr)  # as the interpreter prints sys.exit("message")
        return 1
    except BaseException:  # what the interpreter does with any exception that escapes
        traceback.print_exc(file=sys.stderr)
        return 1
    return 0


def forget_applications(args: Sequence[str], env: Mapping[str, str]) -> None:
    """Drop the modules of the applications this call loads, so that they import afresh."""
    paths = [env.get("TASKDESK_APP", "")]
    for index, arg in enumerate(args):
        if arg == "--app" and index + 1 < len(args):
            paths.append(args[index + 1])
        elif arg.startswith("--app="):
            paths.append(arg.removeprefix("--app="))
    for path in filter(None, paths):
        sys.modules.pop(path.partition(":")[0], None)


@contextmanager
def environment(env: Mapping[str, str]) -> Iterator[None]:
    """os.environ is exactly `env` during the call."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def process_state(cwd: Path, argv: list[str]) -> Iterator[None]:
    """argv, the working folder, sys.path (start inserts the folder) and the stop signals'
    handlers (start installs its own) as a fresh process has them; all put back."""
    saved_argv, saved_path, saved_cwd = sys.argv, list(sys.path), os.getcwd()
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    sys.argv = argv
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        sys.argv = saved_argv
        for signum, handler in handlers.items():
            signal.signal(signum, handler)


@contextmanager
def own_root_logger() -> Iterator[None]:
    """A root logger without pytest's handlers, so the CLI's logging.basicConfig writes its
    warnings to the call's stderr, as in a process of its own."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    root.handlers.clear()
    try:
        yield
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)


@contextmanager
def no_os_exit_for_stray_threads() -> Iterator[None]:
    """main()'s stray-thread exit, without os._exit: a warning for threads this call left."""
    before = set(threading.enumerate())

    def warn(code: object) -> None:
        stray = [thread.name for thread in threading.enumerate()
                 if thread not in before and not thread.daemon and thread.is_alive()]
        if stray:
            print(f"warning: a task or an extension left {len(stray)} thread(s) running: "
                  f"{', '.join(stray)}", file=sys.stderr)

    replaced = [(module, name, getattr(module, name))
                for module, name in ((sys.modules.get(m), n) for m, n in STRAY_THREAD_EXITS)
                if module is not None and hasattr(module, name)]
    for module, name, _ in replaced:
        setattr(module, name, warn)
    try:
        yield
    finally:
        for module, name, original in replaced:
            setattr(module, name, original)


class Captured:
    """What a call wrote to stdout and stderr, as text once the call is over."""

    stdout = ""
    stderr = ""


@contextmanager
def standard_streams() -> Iterator[Captured]:
    """An empty stdin; stdout and stderr as pipes (not terminals), read when the call ends."""
    captured = Captured()
    saved = sys.stdin, sys.stdout, sys.stderr
    out, err = io.BytesIO(), io.BytesIO()
    sys.stdin = io.TextIOWrapper(io.BytesIO(b""), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    sys.stderr = io.TextIOWrapper(err, encoding="utf-8", errors="backslashreplace",
                                  write_through=True)
    try:
        yield captured
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        captured.stdout = out.getvalue().decode("utf-8", "replace")
        captured.stderr = err.getvalue().decode("utf-8", "replace")
        sys.stdin, sys.stdout, sys.stderr = saved
