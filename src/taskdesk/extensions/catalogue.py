"""The catalogue: every extension taskdesk can see, without importing any of its code.

Extensions come from three places: folders unpacked by the installer under
`$TASKDESK_HOME/extensions/<code>/`, developers' working copies linked there (source "link"),
and installed Python distributions that declare an entry point in the group
`taskdesk.extensions` (name: the code; value: the package whose folder holds install.json,
admin/ and catalog/). An uploaded or linked folder wins over an entry point.
"""

from __future__ import annotations

import importlib.util
import re
from importlib import metadata
from pathlib import Path
from typing import Protocol

from taskdesk.errors import BadPackage, ExtensionNotFound
from taskdesk.extensions.layout import Kind, Slot
from taskdesk.extensions.manifest import CODE_PATTERN, MANIFEST, parse_manifest
from taskdesk.models.actions import NAME
from taskdesk.models.extensions import Extension, Manifest, ModuleRef

ENTRY_POINT_GROUP = "taskdesk.extensions"
MAX_MODULE_TYPE_LENGTH = 32  # characters: the `extension` table's `type` column
MAX_MODULE_CODE_LENGTH = 128  # characters: its `code` column
_NAME = re.compile(NAME)  # module types and codes, as in action routes
UPLOADED = "upload"
LINKED = "link"  # a developer's working copy, linked into the extensions folder


class Sync(Protocol):
    """Brings this home's uploaded copies to the database's packages (packages.Packages)."""

    def ensure(self, code: str) -> None: ...

    def ensure_all(self) -> None: ...


class Catalogue:
    """Finds extensions by code. Entry points are read once and again only when a code is
    not found (scanning every installed distribution costs more than running a task). With
    `sync`, every look-up first makes this home's copy the database's package."""

    def __init__(self, extensions_dir: Path, sync: Sync | None = None) -> None:
        self.extensions_dir = extensions_dir
        self.sync = sync
        self._points: dict[str, metadata.EntryPoint] | None = None

    def all(self) -> list[Extension]:
        if self.sync is not None:
            self.sync.ensure_all()
        self._entry_points(refresh=True)
        found = {ext.code: ext for ext in self._from_entry_points()}
        found.update((ext.code, ext) for ext in self._uploaded())
        return sorted(found.values(), key=lambda ext: ext.code)

    def get(self, code: str) -> Extension:
        if self.sync is not None:
            self.sync.ensure(code)
        root, source = self._find(code)
        if root is None:
            raise ExtensionNotFound(f"no extension with code {code!r} in {self.extensions_dir} "
                                    f"or among installed Python packages")
        return describe(root, source, code)

    def locate(self, code: str) -> Path | None:
        """The folder of an extension's code, for the controller loader."""
        if self.sync is not None:
            self.sync.ensure(code)
        return self._find(code)[0]

    def entry_point_codes(self) -> set[str]:
        return set(self._entry_points(refresh=True))

    def _entry_points(self, *, refresh: bool = False) -> dict[str, metadata.EntryPoint]:
        if self._points is None or refresh:
            self._points = {point.name: point
                            for point in metadata.entry_points(group=ENTRY_POINT_GROUP)}
        return self._points

    def _find(self, code: str) -> tuple[Path | None, str]:
        if not CODE_PATTERN.fullmatch(code):  # a code is never a path: no "..", no "/"
            return None, ""
        folder = self.extensions_dir / code
        if folder.is_dir():
            return folder, self._folder_source(folder)
        point = self._entry_points().get(code) or self._entry_points(refresh=True).get(code)
        if point is None:
            return None, ""
        return _package_folder(point.value), _distribution(point)

    def _uploaded(self) -> list[Extension]:
        if not self.extensions_dir.is_dir():
            return []
        return [describe(folder, self._folder_source(folder), folder.name)
                for folder in sorted(self.extensions_dir.iterdir())
                if CODE_PATTERN.fullmatch(folder.name) and folder.is_dir()]

    def _folder_source(self, folder: Path) -> str:
        if folder.is_symlink() and Slot.of(self.extensions_dir, folder.name).kind is Kind.LINK:
            return LINKED
        return UPLOADED

    def _from_entry_points(self) -> list[Extension]:
        return [describe(_package_folder(point.value), _distribution(point), code)
                for code, point in self._entry_points().items()]


def describe(root: Path | None, source: str, code: str) -> Extension:
    """The extension in the folder `root`, or one with the problem that keeps it unusable."""
    if root is None:
        return _broken(Path(), source, code, "its Python package cannot be found")
    try:
        manifest = parse_manifest((root / MANIFEST).read_bytes(), default_code=code)
    except (OSError, BadPackage) as error:
        message = error.message if isinstance(error, BadPackage) else f"no {MANIFEST}"
        return _broken(root, source, code, message)
    if manifest.code != code:
        return _broken(root, source, code, f"{MANIFEST} says its code is {manifest.code!r}")
    modules = find_modules(root)
    problem = next(filter(None, map(module_problem, modules)), None)
    return Extension(manifest=manifest, root=root, source=source, modules=modules,
                     problem=problem)


def _broken(root: Path, source: str, code: str, problem: str) -> Extension:
    manifest = Manifest(code=code, name=code, version="?")
    return Extension(manifest=manifest, root=root, source=source, modules=(), problem=problem)


def find_modules(root: Path) -> tuple[ModuleRef, ...]:
    controllers = root / "admin" / "controller"
    if not controllers.is_dir():
        return ()
    found = (module_of(file.relative_to(root).parts) for file in controllers.glob("*/*.py"))
    return tuple(sorted(module for module in found if module is not None))


def module_of(parts: tuple[str, ...]) -> ModuleRef | None:
    """The module a path inside an extension is, if any: `admin/controller/<type>/<code>.py`,
    both names as in action routes."""
    if len(parts) != 4 or parts[:2] != ("admin", "controller") or not parts[3].endswith(".py"):
        return None
    module_type, code = parts[2], parts[3].removesuffix(".py")
    if not (_NAME.fullmatch(module_type) and _NAME.fullmatch(code)):
        return None
    return ModuleRef(type=module_type, code=code)


def module_problem(module: ModuleRef) -> str | None:
    """Why the `extension` table cannot record a module, checked alike on every database."""
    if len(module.type) > MAX_MODULE_TYPE_LENGTH:
        return (f"module type {module.type!r} is longer than {MAX_MODULE_TYPE_LENGTH} "
                f"characters")
    if len(module.code) > MAX_MODULE_CODE_LENGTH:
        return (f"module code {module.code!r} is longer than {MAX_MODULE_CODE_LENGTH} "
                f"characters")
    return None


def _package_folder(module: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(module.split(":", 1)[0])
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _distribution(point: metadata.EntryPoint) -> str:
    return point.dist.name if point.dist is not None else "an installed package"
