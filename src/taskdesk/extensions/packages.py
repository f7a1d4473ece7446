"""This host's copies of the packages stored in the database (the `package` table).

An upload stores the zip's bytes and their sha256 in the database; every host (every
TASKDESK_HOME on that database) unpacks its own copy on demand. Each unpacked version folder
has a marker beside it with the sha256 it came from (layout.mark). Before a route of an extension
runs, and before its modules' hooks run, `ensure` reads the stored (version, sha256) — one read
by primary key, never the bytes — and when this host's copy is not that package (no copy,
another sha256, or a copy without a marker), reads the bytes, checks that their sha256 is the
stored one, checks the zip as the installer does, unpacks it into a new version folder and
switches `extensions/<code>` to it in one rename: a running task never sees a half-unpacked
folder. A copy whose package the database no longer has (removed on another host) is taken
out. Bytes that do not match their hash, or a zip that is not a valid package, are refused
with one BadAction naming the extension (and both hashes): nothing of it is unpacked.

Not synchronised: a developer's linked working copy and extensions from Python packages (entry
points) stay this host's own. A copy uploaded before the database kept packages (no marker,
no row) is published from the zip the installer kept beside it, when its version is the one
unpacked; until then it runs here only, as before.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from taskdesk.config import Settings
from taskdesk.errors import BadAction, BadPackage, ExtensionNotFound, TaskdeskError
from taskdesk.extensions import layout
from taskdesk.extensions.catalogue import UPLOADED, describe
from taskdesk.extensions.layout import Kind, Slot
from taskdesk.extensions.package import Limits, read_package, unpack
from taskdesk.models.extensions import NewPackage, StoredPackage
from taskdesk.store import Store
from taskdesk.text import os_error_text, storable

logger = logging.getLogger(__name__)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(store: Store, package: NewPackage) -> StoredPackage:
    """Store a checked package for every host (replacing the one stored)."""
    return store.packages.put(package.code, package.version, package.sha256, package.data)


class Packages:
    """Keeps this home's uploaded extensions equal to the database's packages."""

    def __init__(self, store: Callable[[], Store], settings: Settings) -> None:
        self._store = store
        self.settings = settings
        self.limits = Limits.from_settings(settings)
        #: code → (stored sha256, message) of a package refused: not read again until the
        #: database holds another one.
        self._refused: dict[str, tuple[str, str]] = {}
        #: Copies from before packages were stored that could not be published (no kept zip
        #: of their version): they run here only, as before, and are not looked at again.
        self._unpublished: set[str] = set()

    def ensure(self, code: str) -> None:
        """Make this host's copy of `code` the database's package (see the module doc)."""
        slot = _slot(self.settings.extensions_dir, code)
        if slot is None or slot.kind is Kind.LINK:
            return  # not a code, or a developer's working copy: this host's own
        stamp = self._store().packages.stamp(code)
        local = layout.marker(slot)
        if stamp is None:
            if slot.kind is Kind.EMPTY or (local is None and code in self._unpublished):
                return  # nothing here; or a copy from before packages were stored
        elif local == stamp.sha256:
            return
        else:
            self._refuse_again(code, stamp)
        with layout.locked(self.settings.extensions_dir):
            self._ensure_held(code)

    def ensure_all(self) -> None:
        """ensure() every stored package and every uploaded copy here; a package that is
        refused is left out (it says why when one of its tasks runs), never failing a list."""
        codes = {stamp.code for stamp in self._store().packages.stamps()}
        folder = self.settings.extensions_dir
        if folder.is_dir():
            codes.update(entry.name for entry in folder.iterdir())
        for code in sorted(codes):
            with suppress(TaskdeskError):  # logged once, where it was refused
                self.ensure(code)

    def _ensure_held(self, code: str) -> None:
        """ensure() once this home's lock is held: looks again, then acts."""
        slot = _slot(self.settings.extensions_dir, code)
        if slot is None or slot.kind is Kind.LINK:
            return
        stamp = self._store().packages.stamp(code)
        local = layout.marker(slot)
        if stamp is None:
            if local is not None:  # it came from the database, which no longer has it
                _take_out(slot)
            elif layout.own_folder(slot) is not None:
                self._publish(code, slot)
        elif local != stamp.sha256:
            self._unpack_stored(code, slot)

    def _refuse_again(self, code: str, stamp: StoredPackage) -> None:
        refused = self._refused.get(code)
        if refused is not None and refused[0] == stamp.sha256:
            raise BadAction(refused[1])

    def _unpack_stored(self, code: str, slot: Slot) -> None:
        found = self._store().packages.data(code)
        if found is None:  # removed meanwhile
            if layout.marker(slot) is not None:
                _take_out(slot)
            return
        stamp, data = found
        try:
            self._unpack(code, slot, stamp, data)
        except OSError as error:  # this host's disk, not the package: tried again next time
            raise BadAction(f"extension {code!r}: cannot unpack its stored package into "
                            f"{self.settings.extensions_dir}: {os_error_text(error)}"
                            ) from None
        except BadAction as error:
            self._refused[code] = (stamp.sha256, error.message)
            logger.warning("extensions.package_refused %s", error.message)
            raise
        self._refused.pop(code, None)

    def _unpack(self, code: str, slot: Slot, stamp: StoredPackage, data: bytes) -> None:
        actual = sha256_of(data)
        if actual != stamp.sha256:
            raise BadAction(f"extension {code!r}: its stored package does not match its hash "
                            f"(stored sha256 {stamp.sha256!r}, sha256 of its bytes "
                            f"{actual!r}): nothing of it was unpacked; upload it again")
        with self._scratch() as scratch:
            copy = scratch / f"{code}.zip"
            copy.write_bytes(data)
            try:
                manifest = read_package(copy, self.limits, filename=copy.name)
                if manifest.code != code:
                    raise BadPackage(f"its install.json says its code is {manifest.code!r}")
                unpack(copy, scratch / "unpacked", filename=copy.name)
            except BadPackage as error:
                raise BadAction(f"extension {code!r}: its stored package (sha256 "
                                f"{stamp.sha256!r}) is not a valid package: {error.message}"
                                ) from None
            version = layout.new_version(self.settings.extensions_dir, code,
                                         scratch / "unpacked")
        try:
            layout.mark(version, stamp.sha256)
            if slot.kind is Kind.FOLDER:  # a plain folder (from before version folders)
                layout.delete(slot.path)
            layout.point(slot.path, version)
        except BaseException:
            layout.delete(version)
            raise
        _forget_old(slot)
        logger.info("extensions.package_unpacked %s %s", code, stamp.sha256[:12])

    def _publish(self, code: str, slot: Slot) -> None:
        """A copy uploaded before the database kept packages: store the zip kept beside it,
        if it is the version unpacked here."""
        folder = layout.own_folder(slot)
        kept = self._kept_zip(code)
        try:
            manifest = read_package(kept, self.limits, filename=kept.name)
        except (OSError, BadPackage):
            manifest = None
        if folder is None or manifest is None or manifest.code != code or describe(
                folder, UPLOADED, code).manifest.version != manifest.version:
            self._unpublished.add(code)
            logger.warning("extensions.package_unpublished %s: no kept zip of the version "
                           "unpacked here; upload it again to share it with other hosts", code)
            return
        data = kept.read_bytes()
        stamp = self._store().packages.put(code, storable(manifest.version), sha256_of(data),
                                           data)
        logger.info("extensions.package_published %s %s", code, stamp.sha256[:12])
        if slot.version is not None:
            layout.mark(slot.version, stamp.sha256)
        else:  # a plain folder becomes a version folder of the stored package
            self._unpack(code, slot, stamp, data)

    def _kept_zip(self, code: str) -> Path:
        return self.settings.packages_dir / f"{code}.zip"

    @contextmanager
    def _scratch(self) -> Iterator[Path]:
        self.settings.scratch_dir.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="stored-", dir=self.settings.scratch_dir))
        try:
            yield scratch
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _slot(extensions_dir: Path, code: str) -> Slot | None:
    try:
        return Slot.of(extensions_dir, code)
    except ExtensionNotFound:
        return None


def _take_out(slot: Slot) -> None:
    """Remove a copy whose package the database no longer has (the installer's own)."""
    if slot.kind is Kind.VERSION:
        slot.path.unlink()
        _forget_old(slot)
    elif slot.kind is Kind.FOLDER:
        layout.delete(slot.path)


def _forget_old(slot: Slot) -> None:
    if slot.version is not None:
        layout.delete(slot.version)
