"""Import extension controllers so that extensions never collide and upgrades are seen.

Each extension is imported as its own synthetic package, `_taskdesk_ext.<code>_<generation>`,
whose path is the extension's folder: two extensions may both have `catalog/controller/task.py`
and relative imports inside an extension work. When the folder or the controller file changes
(an upgrade unpacks a new folder), the next load starts a new generation, so a long-running
worker picks up new code without a restart. An extension that fails to import raises BadAction,
which fails only the task that needed it; so does one that calls sys.exit() at import time
(os._exit() cannot be caught: the process ends there).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import itertools
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from taskdesk.errors import BadAction
from taskdesk.text import error_text

PACKAGE_PREFIX = "_taskdesk_ext"
_generations = itertools.count(1)  # per process: loaders of two installations never share one

class _SourceOnlyLoader(importlib.machinery.SourceFileLoader):
    """Compiles from source every time: a cached .pyc is checked by the source's mtime in
    whole seconds and its size only, so a same-size edit within a second would run old code."""

    def path_stats(self, path: str) -> Mapping[str, Any]:
        raise OSError("extension modules are never read from cached bytecode")


class _ExtensionFinder(importlib.abc.MetaPathFinder):
    """Finds extension modules as the path finder does, with the source-only loader."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(PACKAGE_PREFIX + "."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            spec.loader = _SourceOnlyLoader(fullname, spec.loader.path)
        return spec


def _install_finder() -> None:
    if not any(isinstance(finder, _ExtensionFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _ExtensionFinder())


Locate = Callable[[str], Path | None]


class ControllerLoader:
    """Loads `<root>/<side>/controller/<path>.py` of an extension found by `locate`."""

    def __init__(self, locate: Locate) -> None:
        self._locate = locate
        self._lock = threading.Lock()
        self._packages: dict[str, _Generation] = {}

    def load(self, extension: str, side: str, controller: str) -> ModuleType:
        root = self._locate(extension)
        if root is None:
            raise BadAction(f"extension {extension!r} is not installed")
        relative = f"{side}/controller/{controller}.py"
        source = root / relative
        if not source.is_file():
            raise BadAction(f"extension {extension!r} has no {relative}")
        with self._lock:
            package = self._package(extension, root, source)
            name = f"{package}.{side}.controller.{controller.replace('/', '.')}"
            try:
                return importlib.import_module(name)
            except KeyboardInterrupt:
                raise  # Ctrl-C while importing: the user's, not the module's
            except BaseException as error:  # sys.exit() at import too: one clear error
                raise BadAction(
                    f"extension {extension!r}: cannot load {relative}: {error_text(error)}"
                ) from error

    def release(self) -> None:
        """Drop every module this loader imported (a loader used once, for an upgrade)."""
        with self._lock:
            for generation in self._packages.values():
                _forget(generation.package)
            self._packages.clear()

    def _package(self, extension: str, root: Path, source: Path) -> str:
        known = self._packages.get(extension)
        if known is not None and known.current(root, source):
            return known.package
        if known is not None:
            _forget(known.package)
        name = f"{PACKAGE_PREFIX}.{extension}_{next(_generations)}"
        _install_finder()
        _register_package(PACKAGE_PREFIX, None)
        _register_package(name, root)
        importlib.invalidate_caches()
        generation = _Generation(package=name, folder=_folder_signature(root))
        generation.current(root, source)  # records the file's mtime
        self._packages[extension] = generation
        return name


@dataclass
class _Generation:
    """One import of an extension: its package name, the folder it came from, and the
    modification times of the controller files loaded since."""

    package: str
    folder: tuple[int, int]
    files: dict[Path, int] = field(default_factory=dict)

    def current(self, root: Path, source: Path) -> bool:
        """Still the code on disk: same folder (an upgrade makes a new one), and `source`
        unchanged since this generation first loaded it."""
        if _folder_signature(root) != self.folder:
            return False
        mtime = source.stat().st_mtime_ns
        return self.files.setdefault(source, mtime) == mtime


def _folder_signature(root: Path) -> tuple[int, int]:
    folder = root.stat()
    return (folder.st_ino, folder.st_mtime_ns)


def _register_package(name: str, folder: Path | None) -> None:
    if name in sys.modules:
        return
    spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
    spec.submodule_search_locations = [str(folder)] if folder else []
    sys.modules[name] = importlib.util.module_from_spec(spec)


def _forget(package: str) -> None:
    """Drop an old generation's modules, so that their memory can be reclaimed."""
    for name in [key for key in sys.modules if key == package or key.startswith(package + ".")]:
        del sys.modules[name]
