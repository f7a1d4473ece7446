"""The installer: upload (check, then unpack into place), link and remove extensions.

An upload's size is checked before a byte of it is read; then it is copied into a fresh scratch
folder under `$TASKDESK_HOME/tmp`, checked and unpacked there from that unchanging copy; only a
package that passed every check is moved into place, and the scratch folder is deleted whatever
happens. `extensions/<code>` is a link to the unpacked version (see layout.py): an upgrade
replaces the link in one atomic rename, inside the transaction that runs the new version's
`upgrade()` hooks, so a worker never finds the extension missing and a failed hook leaves the
old version in place. Only the installer's own version folders are ever deleted; a developer's
link is only unlinked. Uploads, links and removals of one installation take turns on a lock
file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from taskdesk.config import Settings
from taskdesk.errorlog import error_log_of
from taskdesk.errors import BadPackage, ExtensionError
from taskdesk.extensions import layout
from taskdesk.extensions.catalogue import (
    UPLOADED,
    Catalogue,
    describe,
    find_modules,
    module_problem,
)
from taskdesk.extensions.layout import Kind, Slot
from taskdesk.extensions.lifecycle import Lifecycle
from taskdesk.extensions.loader import ControllerLoader
from taskdesk.extensions.manifest import MANIFEST, parse_manifest, unmet_requirements
from taskdesk.extensions.package import CHUNK_BYTES, Limits, read_package, unpack
from taskdesk.extensions.packages import put, sha256_of
from taskdesk.models.extensions import Extension, Manifest, NewPackage, StoredPackage
from taskdesk.store import Store
from taskdesk.text import storable


@dataclass(frozen=True)
class Removal:
    """What `remove` did: deleted the installer's own files, or only unlinked a link to a
    folder it did not make (`unlinked`: that folder, left as it was)."""

    code: str
    unlinked: Path | None = None

    @property
    def message(self) -> str:
        if self.unlinked is None:
            return f"removed {self.code}"
        return f"unlinked {self.code}; its folder {self.unlinked} is left as it was"


class Installer:
    """Extensions > Installer: puts packages into the extensions folder and takes them out."""

    def __init__(self, settings: Settings, catalogue: Catalogue, store: Store,
                 lifecycle: Lifecycle | None = None) -> None:
        self.settings = settings
        self.catalogue = catalogue
        self.store = store
        self.limits = Limits.from_settings(settings)
        self.lifecycle = lifecycle or Lifecycle(
            catalogue, ControllerLoader(catalogue.locate), store, settings,
            error_log_of(settings, lambda: store))

    def upload(self, source: Path, *, upgrade: bool = False) -> Extension:
        """Check the zip at `source` and unpack it as an extension; returns it. An upgrade
        runs the new version's upgrade() hooks of the installed modules, all or nothing."""
        if not source.is_file():
            raise BadPackage(f"{source} is not a file")
        self.limits.check_file_size(source.stat().st_size, source.name)
        with self._locked(), self._scratch() as scratch:
            copy = scratch / "package.zip"
            _copy_upload(source, copy, self.limits.max_file_bytes)
            manifest = read_package(copy, self.limits, filename=source.name)
            stored = self.store.packages.stamp(manifest.code)
            slot = self._check_free(manifest, upgrade, stored)
            unpack(copy, scratch / "unpacked", filename=source.name)
            package = _package(manifest, copy.read_bytes())
            self._move_into_place(manifest, slot, scratch, package, stored)
        return self.catalogue.get(manifest.code)

    def link(self, folder: Path) -> Extension:
        """Use a working copy of an extension where it is (for its developer): links
        `extensions/<code>` to `folder`. Remove only unlinks it; an upgrade refuses it."""
        folder = folder.expanduser().absolute()
        code = _working_copy_code(folder, self.settings.extensions_dir)
        with self._locked():
            slot = Slot.of(self.settings.extensions_dir, code)
            if slot.kind is not Kind.EMPTY:
                raise BadPackage(f"extension {code!r} is already in "
                                 f"{self.settings.extensions_dir}: remove it first")
            if code in self.catalogue.entry_point_codes():
                raise BadPackage(f"extension code {code!r} is taken by an installed Python "
                                 f"package")
            slot.path.symlink_to(folder, target_is_directory=True)
        return self.catalogue.get(code)

    def remove(self, code: str) -> Removal:
        """Delete an uploaded extension whose modules are all uninstalled; only unlink a link
        the installer did not make."""
        with self._locked():
            slot = Slot.of(self.settings.extensions_dir, code)
            stored = self.store.packages.stamp(code) if slot.kind is not Kind.LINK else None
            if slot.kind is Kind.EMPTY and stored is None:  # only an entry point provides it
                source = self.catalogue.get(code).source
                raise ExtensionError(f"extension {code!r} comes from the Python package "
                                     f"{source}: uninstall that package instead")
            self._check_uninstalled(code)
            if stored is not None:  # every host takes its copy out at its next look
                self.store.packages.delete(code)
            removal = _take_out(code, slot)
            if removal.unlinked is None:
                (self.settings.packages_dir / f"{code}.zip").unlink(missing_ok=True)
            return removal

    def _check_uninstalled(self, code: str) -> None:
        installed = self.store.installed_modules(code)
        if installed:
            names = ", ".join(f"{m.type}/{m.code}" for m in installed)
            raise ExtensionError(f"extension {code!r} still has installed modules "
                                 f"({names}): uninstall them first")
        waiting = self.store.count_extension_tasks(code)
        if waiting:
            raise ExtensionError(f"extension {code!r} still has {waiting} waiting or running "
                                 f"task(s) that it added or that run its routes: let them "
                                 f"finish, or delete them (taskdesk task list) first")

    def _check_free(self, manifest: Manifest, upgrade: bool,
                    stored: StoredPackage | None) -> Slot:
        code = manifest.code
        slot = Slot.of(self.settings.extensions_dir, code)
        if slot.kind is Kind.LINK:
            raise BadPackage(f"extensions/{code} is a link to {slot.target}, not a package the "
                             f"installer unpacked: it is never replaced (remove only unlinks it)")
        if slot.kind is Kind.EMPTY and stored is None:
            if code in self.catalogue.entry_point_codes():
                raise BadPackage(f"extension code {code!r} is taken by an installed Python "
                                 f"package")
            return slot
        if not upgrade:
            raise BadPackage(f"extension {code!r} is already uploaded: upload it as an "
                             f"upgrade to replace it (--upgrade; the Installer's Upgrade)")
        unmet = unmet_requirements(manifest)
        if unmet and self.store.installed_modules(code):
            raise ExtensionError(f"extension {code!r} has installed modules and its new version "
                                 f"needs {', '.join(unmet)}: install that first (the old "
                                 f"version stays)")
        return slot

    def _move_into_place(self, manifest: Manifest, slot: Slot, scratch: Path,
                         package: NewPackage, stored: StoredPackage | None) -> None:
        extensions_dir = self.settings.extensions_dir
        try:
            version = layout.new_version(extensions_dir, manifest.code, scratch / "unpacked")
            layout.mark(version, package.sha256)
        except OSError as error:
            raise ExtensionError(f"cannot write extension {manifest.code!r} into "
                                 f"{extensions_dir}: {error.strerror or error}") from None
        try:
            self._switch(manifest, slot, version, scratch, package, stored)
        except BaseException as error:
            shutil.rmtree(version, ignore_errors=True)
            layout.unmark(version)
            if isinstance(error, OSError):
                raise ExtensionError(f"cannot switch extension {manifest.code!r} to its new "
                                     f"version in {extensions_dir}: {error.strerror or error}"
                                     ) from error
            raise
        if slot.version is not None:
            layout.delete(slot.version)  # the installer's own previous version folder
        self.settings.packages_dir.mkdir(parents=True, exist_ok=True)
        os.replace(scratch / "package.zip", self.settings.packages_dir / f"{manifest.code}.zip")

    def _switch(self, manifest: Manifest, slot: Slot, version: Path, scratch: Path,
                package: NewPackage, stored: StoredPackage | None) -> None:
        """Point `extensions/<code>` at the new version, inside the transaction that stores
        the package for every host (and, on an upgrade, runs the installed modules' upgrade()
        hooks); put the old one back if that transaction fails."""
        if slot.kind is Kind.EMPTY and stored is None:
            with self.store.atomic() as store:
                put(store, package)
                layout.point(slot.path, version)
            return
        old = (stored.version if stored is not None  # the database's, whatever is here
               else describe(slot.path, UPLOADED, manifest.code).manifest.version)
        new = describe(version, UPLOADED, manifest.code)
        switched = False
        try:
            with self.lifecycle.upgrading(new, from_version=old, package=package):
                if slot.kind is Kind.FOLDER:  # a folder put there by hand: no atomic swap
                    os.replace(slot.path, scratch / "by-hand")
                switched = True
                layout.point(slot.path, version)
        except BaseException:
            if switched:
                _switch_back(slot, scratch)
            raise

    def _locked(self) -> AbstractContextManager[None]:
        return layout.locked(self.settings.extensions_dir)

    @contextmanager
    def _scratch(self) -> Iterator[Path]:
        try:
            self.settings.scratch_dir.mkdir(parents=True, exist_ok=True)
            scratch = Path(tempfile.mkdtemp(prefix="package-", dir=self.settings.scratch_dir))
        except OSError as error:
            raise ExtensionError(f"cannot make a scratch folder in {self.settings.scratch_dir}: "
                                 f"{error.strerror or error}") from None
        try:
            yield scratch
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _package(manifest: Manifest, data: bytes) -> NewPackage:
    return NewPackage(code=manifest.code, version=storable(manifest.version),
                      sha256=sha256_of(data), data=data)


def _working_copy_code(folder: Path, extensions_dir: Path) -> str:
    """The code of an extension's working copy, once it is seen to be one."""
    if not (folder / MANIFEST).is_file():
        raise BadPackage(f"{folder} has no {MANIFEST}")
    if folder.resolve().is_relative_to(extensions_dir.resolve()):
        raise BadPackage(f"{folder} is inside {extensions_dir}: link a folder outside it")
    try:
        text = (folder / MANIFEST).read_bytes()
    except OSError as error:
        raise BadPackage(f"cannot read {folder / MANIFEST}: {error.strerror or error}") from None
    code = parse_manifest(text, default_code=folder.name).code
    problem = next(filter(None, map(module_problem, find_modules(folder))), None)
    if problem:
        raise BadPackage(f"{folder}: {problem}")
    return code


def _switch_back(slot: Slot, scratch: Path) -> None:
    if slot.version is not None:
        layout.point(slot.path, slot.version)
    elif slot.kind is Kind.FOLDER:
        slot.path.unlink(missing_ok=True)
        os.replace(scratch / "by-hand", slot.path)
    elif slot.kind is Kind.EMPTY:  # an upgrade of a package stored by another host
        slot.path.unlink(missing_ok=True)


def _take_out(code: str, slot: Slot) -> Removal:
    """Delete the installer's link and version folder, or a plain folder; only unlink any
    other link, never following it."""
    if slot.kind is Kind.LINK:
        slot.path.unlink()
        return Removal(code, unlinked=slot.target)
    if slot.kind is Kind.VERSION:
        slot.path.unlink()
        if slot.version is not None:
            layout.delete(slot.version)
    elif slot.kind is Kind.FOLDER:
        layout.delete(slot.path)
    return Removal(code)


def _copy_upload(source: Path, target: Path, limit: int) -> None:
    """Copy at most `limit` bytes of the upload; a failed read and a failed write (a full
    disk) each say which it was, and where."""
    try:
        reader = source.open("rb")
    except OSError as error:
        raise BadPackage(f"cannot read {source}: {error.strerror or error}") from None
    with reader:
        try:
            with target.open("wb") as writer:
                _pump(reader, writer, limit, source)
        except OSError as error:
            raise BadPackage(f"cannot write the upload of {source.name} to {target.parent}: "
                             f"{error.strerror or error}") from None


def _pump(reader: BinaryIO, writer: BinaryIO, limit: int, source: Path) -> None:
    copied = 0
    while True:
        try:
            chunk = reader.read(CHUNK_BYTES)
        except OSError as error:
            raise BadPackage(f"cannot read {source}: {error.strerror or error}") from None
        if not chunk:
            return
        copied += len(chunk)
        if copied > limit:  # it grew since its size was checked
            raise BadPackage(f"{source.name} is more than {limit} bytes; the limit is {limit}")
        writer.write(chunk)
