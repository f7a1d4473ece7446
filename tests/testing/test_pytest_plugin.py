"""The pytest plugin as an application's suite meets it: installed with taskdesk, found by its
entry point, its desk named in the pytest configuration."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

APP = '''
import os

from taskdesk import Taskdesk

desk = Taskdesk()


@desk.task(name="app.hello")
def hello(name: str) -> str:
    return f"hello {name}"


@desk.task(name="app.timed", timeout=60)
def timed() -> int:
    return os.getpid()
'''

TESTS = '''
import os

from taskdesk import Status
from taskdesk.testing import assert_enqueued, run_due

from app import desk, hello, timed


def test_the_fixture_is_the_apps_desk_on_a_file(taskdesk_desk, tmp_path):
    assert taskdesk_desk is desk
    assert taskdesk_desk.settings.database_url == f"sqlite:///{tmp_path / 'taskdesk.db'}"


def test_a_task_runs(taskdesk_desk):
    handle = hello.enqueue(name="ann")
    assert_enqueued(hello, name="ann")
    run_due(taskdesk_desk)
    assert handle.wait(timeout=0).response == "hello ann"


def test_a_timed_task_runs_in_a_child(taskdesk_desk):
    handle = timed.enqueue()
    assert run_due(taskdesk_desk).by_status == {Status.COMPLETE: 1}
    assert handle.refresh().response != str(os.getpid())


def test_each_test_has_its_own_database(taskdesk_desk):
    assert taskdesk_desk.tasks.count() == 0
'''

STRICT = '''
[pytest]
addopts = --strict-config --strict-markers -p no:cacheprovider
filterwarnings = error
'''


def test_the_installed_plugin_gives_the_desk_named_in_the_configuration(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(app=APP, test_app=TESTS)
    pytester.makeini(STRICT + "taskdesk_app = app:desk\n")

    result = pytester.runpytest_subprocess("-p", "no:xdist")

    result.assert_outcomes(passed=4)


def test_a_conftest_may_give_the_desk_itself(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(app=APP, test_app=TESTS)
    pytester.makeconftest("import pytest\nimport app\n\n\n@pytest.fixture\n"
                          "def taskdesk_app():\n    return app.desk\n")
    pytester.makeini(STRICT)

    pytester.runpytest_inprocess("-p", "no:xdist").assert_outcomes(passed=4)


def test_without_a_desk_the_fixture_says_how_to_name_it(pytester: pytest.Pytester,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TASKDESK_APP", raising=False)
    pytester.makepyfile("def test_it(taskdesk_desk):\n    pass\n")
    pytester.makeini(STRICT)

    result = pytester.runpytest_inprocess("-p", "no:xdist")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*taskdesk_desk needs the application's desk: set "
                                 "taskdesk_app = \"module:attribute\"*"])


def test_the_plugin_is_the_entry_point_named_taskdesk(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_it(taskdesk_desk):\n    pass\n")

    result = pytester.runpytest_inprocess("-p", "no:taskdesk", "-p", "no:xdist")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'taskdesk_desk' not found*"])
