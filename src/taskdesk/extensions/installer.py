"""The installer: upload (check, then unpack into place) and remove extension packages.

Everything is checked and unpacked inside a fresh scratch folder under `$TASKDESK_HOME/tmp`;
only a package that passed every check is moved into `extensions/` and `packages/`, and the
scratch folder is deleted whatever happens.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from taskdesk.config import Settings
from taskdesk.errors import BadPackage, ExtensionError
from taskdesk.extensions.catalogue import UPLOADED, Catalogue, Extension
from taskdesk.extensions.package import Limits, read_package, unpack
from taskdesk.store.base import Store


class Installer:
    def __init__(self, settings: Settings, catalogue: Catalogue, store: Store) -> None:
        self.settings = settings
        self.catalogue = catalogue
        self.store = store
        self.limits = Limits.from_settings(settings)

    def upload(self, source: Path, *, upgrade: bool = False) -> Extension:
        """Check the zip at `source` and unpack it as an extension; returns it."""
        if not source.is_file():
            raise BadPackage(f"{source} is not a file")
        with self._scratch() as scratch:
            copy = scratch / "package.zip"
            try:  # checked and unpacked from one unchanging copy
                shutil.copyfile(source, copy)
            except OSError as error:
                raise BadPackage(f"cannot read {source}: {error.strerror or error}") from None
            code = read_package(copy, self.limits, filename=source.name).code
            self._check_free(code, upgrade)
            unpack(copy, scratch / "unpacked", filename=source.name)
            self._move_into_place(code, copy, scratch)
        return self.catalogue.get(code)

    def remove(self, code: str) -> None:
        """Delete an uploaded extension whose modules are all uninstalled."""
        extension = self.catalogue.get(code)
        if extension.source != UPLOADED:
            raise ExtensionError(f"extension {code!r} comes from the Python package "
                                 f"{extension.source}: uninstall that package instead")
        installed = self.store.installed_modules(code)
        if installed:
            names = ", ".join(f"{m.type}/{m.code}" for m in installed)
            raise ExtensionError(f"extension {code!r} still has installed modules ({names}): "
                                 f"uninstall them first")
        with self._scratch() as scratch:
            os.replace(extension.root, scratch / "removed")
        (self.settings.packages_dir / f"{code}.zip").unlink(missing_ok=True)

    def _check_free(self, code: str, upgrade: bool) -> None:
        if code in self.catalogue.entry_point_codes() and not (
            self.settings.extensions_dir / code).is_dir():
            raise BadPackage(f"extension code {code!r} is taken by an installed Python package")
        if (self.settings.extensions_dir / code).exists() and not upgrade:
            raise BadPackage(f"extension {code!r} is already uploaded: pass --upgrade to "
                             f"replace it")

    def _move_into_place(self, code: str, package: Path, scratch: Path) -> None:
        target = self.settings.extensions_dir / code
        for folder in (self.settings.extensions_dir, self.settings.packages_dir):
            folder.mkdir(parents=True, exist_ok=True)
        if target.exists():
            os.replace(target, scratch / "previous")  # deleted with the scratch folder
        os.replace(scratch / "unpacked", target)
        os.replace(package, self.settings.packages_dir / f"{code}.zip")

    @contextmanager
    def _scratch(self) -> Iterator[Path]:
        self.settings.scratch_dir.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="package-", dir=self.settings.scratch_dir))
        try:
            yield scratch
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

