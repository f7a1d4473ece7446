"""Resolver: import paths and routes to the callable a runner calls."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskdesk.config import Settings
from taskdesk.controller import Context
from taskdesk.errorlog import ErrorLog
from taskdesk.errors import BadAction
from taskdesk.extensions.loader import ControllerLoader
from taskdesk.registry import TaskRegistry
from taskdesk.resolve import Resolver
from taskdesk.store import MemoryStore
from tests.support import FakeClock
from tests.support.extfiles import write
from tests.tasks import resolvable

TARGETS = "tests.tasks.resolvable"

SEED_CONTROLLER = """\
from taskdesk import Controller


class Task(Controller):
    def index(self) -> None:
        self.log.write("My task has successfully started!")

    def count(self, n: int) -> str:
        self.log.write({"counted": n})
        return f"counted {n}"

    def _hidden(self) -> None:
        pass
"""



@pytest.fixture
def extensions(tmp_path: Path) -> Path:
    return tmp_path / "ext"


@pytest.fixture
def resolver(extensions: Path) -> Resolver:
    def locate(code: str) -> Path | None:
        folder = extensions / code
        return folder if folder.is_dir() else None

    return Resolver(ControllerLoader(locate))


@pytest.fixture
def context(tmp_path: Path, settings: Settings, clock: FakeClock) -> Context:
    registry = TaskRegistry(MemoryStore(clock=clock), settings)
    return Context(tasks=registry, log=ErrorLog(tmp_path / "error.log", clock=clock),
                   config=settings)


# -- import paths ---------------------------------------------------------------------

def test_function(resolver: Resolver, context: Context) -> None:
    handler = resolver.resolve(f"{TARGETS}:greet", context)

    assert handler is resolvable.greet
    assert handler(name="taskdesk") == "hello taskdesk"


def test_controller_class_resolves_to_bound_index(resolver: Resolver, context: Context) -> None:
    handler = resolver.resolve(f"{TARGETS}:Report", context)

    assert handler() == "report index"
    bound_to = getattr(handler, "__self__", None)
    assert isinstance(bound_to, resolvable.Report)
    assert bound_to.log is context.log
    assert bound_to.tasks is context.tasks
    assert bound_to.config is context.config


def test_controller_method(resolver: Resolver, context: Context) -> None:
    handler = resolver.resolve(f"{TARGETS}:Report.build", context)

    assert handler(pages=3) == "built 3"
    assert context.log.read() == "2026-01-01 12:00:00 - building 3 pages\n"


def test_plain_class_is_returned_as_a_callable(resolver: Resolver, context: Context) -> None:
    handler = resolver.resolve(f"{TARGETS}:Plain", context)

    assert handler is resolvable.Plain


def test_standard_library_function(resolver: Resolver, context: Context) -> None:
    handler = resolver.resolve("os.path:join", context)

    assert handler("a", "b") == "a/b"


@pytest.mark.parametrize(
    ("action", "fragment"),
    [
        ("tests.tasks.no_such_module:func", "cannot import tests.tasks.no_such_module"),
        ("no_such_top_level_package_xyz:func", "ModuleNotFoundError"),
        (f"{TARGETS}:missing", "has no missing"),
        (f"{TARGETS}:Report.missing", "has no Report.missing"),
        (f"{TARGETS}:greet.missing", "has no greet.missing"),
        (f"{TARGETS}:NOT_CALLABLE", "NOT_CALLABLE is not callable"),
        (f"{TARGETS}:Report.summary", "Report.summary is not callable"),
        (f"{TARGETS}:_private", "has no _private"),
        (f"{TARGETS}:Report._secret", "has no Report._secret"),
        (f"{TARGETS}:Report.__init__", "has no Report.__init__"),
        (f"{TARGETS}:NoIndex", "NoIndex has no method index()"),
    ],
)
def test_bad_import_paths_name_the_action(resolver: Resolver, context: Context, action: str,
                                          fragment: str) -> None:
    with pytest.raises(BadAction) as caught:
        resolver.resolve(action, context)

    assert repr(action) in caught.value.message
    assert fragment in caught.value.message


def test_unparsable_action(resolver: Resolver, context: Context) -> None:
    with pytest.raises(BadAction, match="is neither a route"):
        resolver.resolve("not an action", context)


# -- routes ---------------------------------------------------------------------------

def test_route_handler_writes_to_the_error_log(resolver: Resolver, context: Context,
                                              extensions: Path) -> None:
    write(extensions / "test_module/catalog/controller/task.py", SEED_CONTROLLER)

    handler = resolver.resolve("task/catalog/test_module.task", context)
    result = handler()

    assert result is None
    assert context.log.read() == "2026-01-01 12:00:00 - My task has successfully started!\n"


def test_route_method_with_args(resolver: Resolver, context: Context, extensions: Path) -> None:
    write(extensions / "test_module/catalog/controller/task.py", SEED_CONTROLLER)

    handler = resolver.resolve("task/catalog/test_module.task.count", context)

    assert handler(n=2) == "counted 2"
    assert context.log.read() == '2026-01-01 12:00:00 - {"counted": 2}\n'


def test_route_controller_gets_the_context(resolver: Resolver, context: Context,
                                          extensions: Path) -> None:
    write(extensions / "test_module/catalog/controller/task.py", SEED_CONTROLLER)

    handler = resolver.resolve("task/catalog/test_module.task", context)
    controller = getattr(handler, "__self__", None)

    assert controller is not None
    assert controller.tasks is context.tasks
    assert controller.config is context.config
    assert controller.task is None


def test_nested_admin_route(resolver: Resolver, context: Context, extensions: Path) -> None:
    write(extensions / "backup/admin/controller/backup/table.py", """\
from taskdesk import Controller


class Table(Controller):
    def page(self, number: int) -> str:
        return f"page {number}"
""")

    handler = resolver.resolve("task/admin/backup.backup/table.page", context)

    assert handler(number=4) == "page 4"


@pytest.mark.parametrize(
    ("action", "fragment"),
    [
        ("task/catalog/test_module.task.missing", "Task has no method missing()"),
        ("task/catalog/test_module.task._hidden", "method _hidden starts with '_'"),
        ("task/catalog/test_module.other", "has no Controller subclass Other"),
        ("task/catalog/test_module.plain", "has no Controller subclass Plain"),
    ],
)
def test_bad_routes_name_the_action(resolver: Resolver, context: Context, extensions: Path,
                                    action: str, fragment: str) -> None:
    write(extensions / "test_module/catalog/controller/task.py", SEED_CONTROLLER)
    write(extensions / "test_module/catalog/controller/other.py", "class Task:\n    pass\n")
    write(extensions / "test_module/catalog/controller/plain.py", "class Plain:\n    pass\n")

    with pytest.raises(BadAction) as caught:
        resolver.resolve(action, context)

    assert repr(action) in caught.value.message
    assert fragment in caught.value.message


def test_route_to_a_missing_extension_names_the_action(resolver: Resolver,
                                                       context: Context) -> None:
    action = "task/catalog/nowhere.task"

    with pytest.raises(BadAction) as caught:
        resolver.resolve(action, context)

    assert "'nowhere' is not installed" in caught.value.message
    assert repr(action) in caught.value.message


def test_route_to_a_missing_controller_names_the_action(resolver: Resolver, context: Context,
                                       extensions: Path) -> None:
    write(extensions / "test_module/catalog/controller/task.py", SEED_CONTROLLER)

    action = "task/admin/test_module.task"

    with pytest.raises(BadAction) as caught:
        resolver.resolve(action, context)

    assert "has no admin/controller/task.py" in caught.value.message
    assert repr(action) in caught.value.message


def test_route_to_a_broken_controller_names_the_action(resolver: Resolver, context: Context,
                                                      extensions: Path) -> None:
    write(extensions / "test_module/catalog/controller/task.py", "class Task(:\n")
    action = "task/catalog/test_module.task"

    with pytest.raises(BadAction) as caught:
        resolver.resolve(action, context)

    assert "SyntaxError" in caught.value.message
    assert repr(action) in caught.value.message
