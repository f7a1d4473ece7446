"""ControllerLoader: isolated synthetic packages per extension, new generations on change."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

from taskdesk.errors import BadAction
from taskdesk.extensions.loader import PACKAGE_PREFIX, ControllerLoader
from tests.support.extfiles import (
    bump_mtime,
    set_mtime_ns,
    unique_code,
    write,
)


@pytest.fixture
def extensions(tmp_path: Path) -> Path:
    folder = tmp_path / "extensions"
    folder.mkdir()
    return folder


def folder_loader(extensions: Path) -> ControllerLoader:
    def locate(code: str) -> Path | None:
        folder = extensions / code
        return folder if folder.is_dir() else None

    return ControllerLoader(locate)


@pytest.fixture
def loader(extensions: Path) -> ControllerLoader:
    return folder_loader(extensions)


def controller_file(extensions: Path, code: str, controller: str = "task",
                    side: str = "catalog") -> Path:
    return extensions / code / side / "controller" / f"{controller}.py"


def task_class(module: ModuleType) -> type:
    cls = module.Task
    assert isinstance(cls, type)
    return cls


def modules_of(package: str) -> list[str]:
    return [name for name in sys.modules if name == package or name.startswith(package + ".")]


def package_of(module: ModuleType) -> str:
    """The synthetic package of a loaded controller: `_taskdesk_ext.<code>_<generation>`."""
    return ".".join(module.__name__.split(".")[:2])


def test_loads_a_controller(loader: ControllerLoader, extensions: Path) -> None:
    code = unique_code("seed")
    write(controller_file(extensions, code), "class Task:\n    NAME = 'seed'\n")

    module = loader.load(code, "catalog", "task")

    assert task_class(module).NAME == "seed"  # type: ignore[attr-defined]
    assert module.__name__.startswith(f"{PACKAGE_PREFIX}.{code}_")
    assert module.__name__.endswith(".catalog.controller.task")
    assert module.__file__ == str(controller_file(extensions, code))


def test_alternating_controllers_of_one_extension_share_one_import(
    loader: ControllerLoader, extensions: Path,
) -> None:
    code = unique_code("alternate")
    write(controller_file(extensions, code, "first"), "class First:\n    pass\n")
    write(controller_file(extensions, code, "second"), "class Second:\n    pass\n")

    loads = [loader.load(code, "catalog", name) for name in ("first", "second") * 5]

    assert {package_of(module) for module in loads} == {package_of(loads[0])}
    assert loads[0] is loads[2] is loads[8]


def test_unchanged_file_loads_the_same_module(loader: ControllerLoader, extensions: Path) -> None:
    code = unique_code("same")
    write(controller_file(extensions, code), "class Task:\n    pass\n")

    first = loader.load(code, "catalog", "task")
    second = loader.load(code, "catalog", "task")

    assert second is first


def test_nested_controller_on_the_admin_side(loader: ControllerLoader, extensions: Path) -> None:
    code = unique_code("nested")
    write(controller_file(extensions, code, "backup/table", side="admin"),
          "class Table:\n    NAME = 'table'\n")

    module = loader.load(code, "admin", "backup/table")

    assert module.Table.NAME == "table"
    assert module.__name__.endswith(".admin.controller.backup.table")


def test_two_extensions_with_the_same_controller_never_collide(
    loader: ControllerLoader, extensions: Path
) -> None:
    first, second = unique_code("first"), unique_code("second")
    write(controller_file(extensions, first), "class Task:\n    NAME = 'first'\n")
    write(controller_file(extensions, second), "class Task:\n    NAME = 'second'\n")

    one = loader.load(first, "catalog", "task")
    two = loader.load(second, "catalog", "task")

    assert one is not two
    assert one.__name__ != two.__name__
    assert task_class(one) is not task_class(two)
    assert task_class(one).NAME == "first"  # type: ignore[attr-defined]
    assert task_class(two).NAME == "second"  # type: ignore[attr-defined]
    assert loader.load(first, "catalog", "task") is one


def test_two_loaders_over_different_folders_never_collide(tmp_path: Path) -> None:
    """Two installations in one process (two homes, or one CLI invocation after another in
    the same interpreter) with an extension of the same code must each get their own."""
    code = unique_code("shared")
    old_home, new_home = tmp_path / "old", tmp_path / "new"
    write(controller_file(old_home, code), "class Task:\n    NAME = 'old home'\n")
    write(controller_file(new_home, code), "class Task:\n    NAME = 'new home'\n")

    from_old = folder_loader(old_home).load(code, "catalog", "task")
    from_new = folder_loader(new_home).load(code, "catalog", "task")

    assert task_class(from_old).NAME == "old home"  # type: ignore[attr-defined]
    assert task_class(from_new).NAME == "new home"  # type: ignore[attr-defined]
    assert from_new.__file__ == str(controller_file(new_home, code))


def test_relative_import_of_a_sibling_module(loader: ControllerLoader, extensions: Path) -> None:
    code = unique_code("relative")
    write(controller_file(extensions, code, "helper"), "GREETING = 'from the helper'\n")
    write(controller_file(extensions, code), """\
from . import helper


class Task:
    NAME = helper.GREETING
""")

    module = loader.load(code, "catalog", "task")

    assert task_class(module).NAME == "from the helper"  # type: ignore[attr-defined]
    assert module.helper.__name__ == module.__name__.rsplit(".", 1)[0] + ".helper"


def test_relative_import_from_the_extension_root(loader: ControllerLoader,
                                                 extensions: Path) -> None:
    code = unique_code("rootlib")
    write(extensions / code / "system" / "library" / "tools.py", "VALUE = 7\n")
    write(controller_file(extensions, code), """\
from ...system.library import tools


class Task:
    VALUE = tools.VALUE
""")

    module = loader.load(code, "catalog", "task")

    assert task_class(module).VALUE == 7  # type: ignore[attr-defined]


def test_rewritten_file_starts_a_new_generation(loader: ControllerLoader,
                                                extensions: Path) -> None:
    code = unique_code("rewrite")
    source = write(controller_file(extensions, code), "class Task:\n    VERSION = 1\n")
    old = loader.load(code, "catalog", "task")
    old_package = package_of(old)
    assert modules_of(old_package)

    write(source, "class Task:\n    VERSION = 2\n")
    bump_mtime(source)
    new = loader.load(code, "catalog", "task")

    assert task_class(new).VERSION == 2  # type: ignore[attr-defined]
    assert package_of(new) != old_package
    assert modules_of(old_package) == []
    assert loader.load(code, "catalog", "task") is new


def test_rewrite_within_the_same_second_is_seen_despite_cached_bytecode(
    loader: ControllerLoader, extensions: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit that keeps the file's size and its mtime's second (e.g. VERSION = 1 → 2, saved
    twice within a second) must not run the old generation's cached bytecode: the loader
    promises a new generation sees the new code, and bytecode caching is Python's default."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    code = unique_code("samesecond")
    second = 1_700_000_000 * 1_000_000_000
    source = write(controller_file(extensions, code), "class Task:\n    VERSION = 1\n")
    set_mtime_ns(source, second)
    old = loader.load(code, "catalog", "task")
    assert task_class(old).VERSION == 1  # type: ignore[attr-defined]

    write(source, "class Task:\n    VERSION = 2\n")
    set_mtime_ns(source, second + 1_000)
    new = loader.load(code, "catalog", "task")

    assert package_of(new) != package_of(old)
    assert task_class(new).VERSION == 2  # type: ignore[attr-defined]


def test_replaced_folder_starts_a_new_generation(loader: ControllerLoader, extensions: Path,
                                                 tmp_path: Path) -> None:
    code = unique_code("upgrade")
    write(controller_file(extensions, code), "class Task:\n    VERSION = 1\n")
    old = loader.load(code, "catalog", "task")

    staging = tmp_path / "staging" / code
    write(controller_file(tmp_path / "staging", code), "class Task:\n    VERSION = 2\n")
    os.rename(extensions / code, tmp_path / "previous")
    os.rename(staging, extensions / code)
    new = loader.load(code, "catalog", "task")

    assert task_class(new).VERSION == 2  # type: ignore[attr-defined]
    assert package_of(new) != package_of(old)
    assert modules_of(package_of(old)) == []


def test_syntax_error_names_the_extension_and_a_fixed_file_loads(
    loader: ControllerLoader, extensions: Path
) -> None:
    code = unique_code("broken")
    source = write(controller_file(extensions, code), "class Task(:\n")

    with pytest.raises(BadAction) as caught:
        loader.load(code, "catalog", "task")

    assert repr(code) in caught.value.message
    assert "SyntaxError" in caught.value.message
    assert "catalog/controller/task.py" in caught.value.message

    write(source, "class Task:\n    FIXED = True\n")
    bump_mtime(source)

    assert task_class(loader.load(code, "catalog", "task")).FIXED is True  # type: ignore[attr-defined]


def test_import_error_names_the_extension_and_a_fixed_file_loads(
    loader: ControllerLoader, extensions: Path
) -> None:
    code = unique_code("importerror")
    source = write(controller_file(extensions, code),
                   "import taskdesk_no_such_module_xyz\n\n\nclass Task:\n    pass\n")

    with pytest.raises(BadAction) as caught:
        loader.load(code, "catalog", "task")

    assert repr(code) in caught.value.message
    assert "ModuleNotFoundError" in caught.value.message
    assert "taskdesk_no_such_module_xyz" in caught.value.message

    write(source, "class Task:\n    FIXED = True\n")
    bump_mtime(source)

    assert task_class(loader.load(code, "catalog", "task")).FIXED is True  # type: ignore[attr-defined]


def test_exception_at_import_time_is_bad_action(loader: ControllerLoader,
                                                extensions: Path) -> None:
    code = unique_code("raises")
    write(controller_file(extensions, code), "raise RuntimeError('not today')\n")

    with pytest.raises(BadAction, match="RuntimeError: not today"):
        loader.load(code, "catalog", "task")


def test_missing_extension(loader: ControllerLoader) -> None:
    with pytest.raises(BadAction, match="extension 'absent' is not installed"):
        loader.load("absent", "catalog", "task")


def test_missing_controller_file(loader: ControllerLoader, extensions: Path) -> None:
    code = unique_code("partial")
    write(controller_file(extensions, code), "class Task:\n    pass\n")

    with pytest.raises(BadAction) as caught:
        loader.load(code, "catalog", "other")

    assert repr(code) in caught.value.message
    assert "catalog/controller/other.py" in caught.value.message


def test_controller_path_that_is_a_folder_is_missing(loader: ControllerLoader,
                                                     extensions: Path) -> None:
    code = unique_code("folder")
    (extensions / code / "catalog" / "controller" / "task.py").mkdir(parents=True)

    with pytest.raises(BadAction, match=r"has no catalog/controller/task\.py"):
        loader.load(code, "catalog", "task")
