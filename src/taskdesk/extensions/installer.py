"""The installer: upload (check, then unpack into place) and remove extension packages.

Everything is checked and unpacked inside a fresh scratch folder under `$TASKDESK_HOME/tmp`;
only a package that passed every check is moved into place, and the scratch folder is deleted
whatever happens. `extensions/<code>` is a symbolic link to the unpacked version
(`extensions/.versions/<code>-<random>`): an upgrade replaces the link in one atomic rename,
so a worker never finds the extension missing. Uploads and removals of one installation take
turns on a lock file.
"""

from __future__ import annotations

import fcntl
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

VERSIONS = ".versions"
LOCK_FILE = ".lock"


class Installer:
    """Extensions > Installer: puts packages into the extensions folder and takes them out."""

    def __init__(self, settings: Settings, catalogue: Catalogue, store: Store) -> None:
        self.settings = settings
        self.catalogue = catalogue
        self.store = store
        self.limits = Limits.from_settings(settings)

    def upload(self, source: Path, *, upgrade: bool = False) -> Extension:
        """Check the zip at `source` and unpack it as an extension; returns it."""
        if not source.is_file():
            raise BadPackage(f"{source} is not a file")
        with self._locked(), self._scratch() as scratch:
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
        with self._locked():
            extension = self.catalogue.get(code)
            if extension.source != UPLOADED:
                raise ExtensionError(f"extension {code!r} comes from the Python package "
                                     f"{extension.source}: uninstall that package instead")
            installed = self.store.installed_modules(code)
            if installed:
                names = ", ".join(f"{m.type}/{m.code}" for m in installed)
                raise ExtensionError(f"extension {code!r} still has installed modules "
                                     f"({names}): uninstall them first")
            with self._scratch() as scratch:
                _take_out(self.settings.extensions_dir / code, scratch)
            (self.settings.packages_dir / f"{code}.zip").unlink(missing_ok=True)

    def _check_free(self, code: str, upgrade: bool) -> None:
        uploaded = (self.settings.extensions_dir / code).exists()
        if code in self.catalogue.entry_point_codes() and not uploaded:
            raise BadPackage(f"extension code {code!r} is taken by an installed Python package")
        if uploaded and not upgrade:
            raise BadPackage(f"extension {code!r} is already uploaded: pass --upgrade to "
                             f"replace it")

    def _move_into_place(self, code: str, package: Path, scratch: Path) -> None:
        versions = self.settings.extensions_dir / VERSIONS
        versions.mkdir(parents=True, exist_ok=True)
        self.settings.packages_dir.mkdir(parents=True, exist_ok=True)
        version = Path(tempfile.mkdtemp(prefix=f"{code}-", dir=versions))
        os.replace(scratch / "unpacked", version)
        link = self.settings.extensions_dir / code
        previous = link.resolve() if link.is_symlink() else None
        if link.exists() and previous is None:  # a folder put there by hand: no atomic swap
            os.replace(link, scratch / "by-hand")
        staged = versions / f".{version.name}.link"
        staged.symlink_to(Path(VERSIONS) / version.name)
        os.replace(staged, link)  # the switch: atomic, the old or the new version, never none
        if previous is not None and previous.exists():
            os.replace(previous, scratch / "previous")  # deleted with the scratch folder
        os.replace(package, self.settings.packages_dir / f"{code}.zip")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.settings.extensions_dir.mkdir(parents=True, exist_ok=True)
        with (self.settings.extensions_dir / LOCK_FILE).open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @contextmanager
    def _scratch(self) -> Iterator[Path]:
        self.settings.scratch_dir.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="package-", dir=self.settings.scratch_dir))
        try:
            yield scratch
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _take_out(link: Path, scratch: Path) -> None:
    """Move an extension (its version folder and link, or a folder put there by hand) into
    the scratch folder, to be deleted with it."""
    if link.is_symlink():
        target = link.resolve()
        link.unlink()
        if target.exists():
            os.replace(target, scratch / "removed")
    else:
        os.replace(link, scratch / "removed")
