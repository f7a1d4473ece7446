"""`flask taskdesk …` as a real process, on an app that only its factory makes: a task in a
child process (timeout=) runs in that app's context, and a thread a task left behind does not
keep the command alive. And the runtime module such children load the app through, in-process:
what it loads, and one clear error when it cannot."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from typer.testing import CliRunner

from taskdesk.app import load_app
from taskdesk.cli import app as taskdesk_command
from taskdesk.contrib.flask.runtime import ENV, RUNTIME
from taskdesk.errors import ConfigError
from tests.contrib.flask import factory_app
from tests.contrib.flask.factory_app import Visit, db, desk, leave_a_thread, visit_in_a_child

ROOT = Path(__file__).parents[3]  # where `tests.contrib.flask.factory_app` imports from
COMMAND_TIMEOUT = 20  # seconds: the drain takes a few; a hung command is killed after this


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


@pytest.fixture
def app(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The factory's app on the test's database (SQLite or PostgreSQL), its table made."""
    for name in [name for name in os.environ if name.startswith("TASKDESK_")]:
        monkeypatch.delenv(name)  # the runner's own settings must not reach the command
    monkeypatch.setenv(factory_app.DATABASE, database_url)
    monkeypatch.setenv(factory_app.INSTANCE, str(tmp_path / "instance"))
    monkeypatch.setenv("TASKDESK_HOME", str(tmp_path / "taskdesk"))
    app = factory_app.create_app()
    with app.app_context():
        db.create_all()
    yield app
    desk.close()
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def flask_taskdesk(*args: str) -> subprocess.CompletedProcess[str]:
    """`flask --app tests.contrib.flask.factory_app taskdesk ARGS` in a process of its own;
    killed (and the test failed) if it has not ended after COMMAND_TIMEOUT seconds."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "tests.contrib.flask.factory_app",
         "taskdesk", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False)


@pytest.mark.slow
def test_a_task_in_a_child_process_runs_in_the_factorys_app_context(app: Flask) -> None:
    task_id = visit_in_a_child.enqueue(text="hello").task_id
    desk.close()

    done = flask_taskdesk("start")

    assert done.returncode == 0, done.stderr
    task = desk.tasks.get(task_id)
    assert (task.status, task.response) == ("complete", factory_app.NAME)
    with app.app_context():
        assert list(db.session.scalars(select(Visit.text))) == [f"{factory_app.NAME}: hello"]


@pytest.mark.slow
def test_flask_taskdesk_exits_without_waiting_for_a_thread_a_task_left(app: Flask) -> None:
    task_id = leave_a_thread.enqueue().task_id
    desk.close()

    done = flask_taskdesk("start")  # without the fix: killed after COMMAND_TIMEOUT seconds

    assert done.returncode == 0, done.stderr
    assert "left-behind" in done.stderr  # the warning names the thread it did not wait for
    assert desk.tasks.get(task_id).status == "complete"


def test_the_runtime_desk_is_the_one_the_factory_initialised(app: Flask,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    """What a child does: import the runtime module, and get the desk of the app it makes."""
    monkeypatch.setenv(ENV, "tests.contrib.flask.factory_app")

    loaded = load_app(RUNTIME)

    assert loaded is desk
    assert desk.app is not None
    assert desk.app is not app  # the factory ran again, as in a child
    assert desk.app.name == factory_app.NAME


@pytest.mark.parametrize("where", ["no_such_module_for_taskdesk",
                                   "tests.contrib.flask.factory_app:bare_app()",
                                   "tests.contrib.flask.factory_app:no_such_factory"])
def test_an_app_the_runtime_cannot_load_is_one_clear_error(
        where: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, where)

    with pytest.raises(ConfigError, match=ENV):
        load_app(RUNTIME)
    refused = CliRunner().invoke(taskdesk_command, ["--app", RUNTIME, "task", "list"])

    assert refused.exit_code != 0
    assert refused.output.count("error:") == 1, refused.output
    assert "Traceback" not in refused.output
    assert len(refused.output.strip().splitlines()) == 1, refused.output
