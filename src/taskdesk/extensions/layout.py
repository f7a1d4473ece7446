"""The extensions folder, and which of its entries the installer may delete.

The installer unpacks each version of an uploaded extension into its own folder,
`extensions/.versions/<code>-<random>`, and points `extensions/<code>` at it with a relative
link, `.versions/<code>-<random>`. Those version folders are the only things it ever deletes.
Any other link at `extensions/<code>` belongs to someone else (a developer's working copy,
linked by hand or with Installer.link): it is only ever unlinked, never followed. A plain
folder at `extensions/<code>` (copied there by hand, or unpacked before version folders
existed) lies inside the extensions folder and is deleted as an uploaded extension is.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path, PurePosixPath

from taskdesk.errors import ExtensionNotFound
from taskdesk.extensions.manifest import CODE_PATTERN

VERSIONS = ".versions"
LOCK_FILE = ".lock"
#: `extensions/.sha256/<name>`: the sha256 of the stored package that the version folder
#: `.versions/<name>` was unpacked from (one line); never inside it, which holds the package's
#: files only.
MARKERS = ".sha256"


class Kind(Enum):
    """What `extensions/<code>` is."""

    EMPTY = "empty"  # nothing there
    VERSION = "version"  # the installer's link to its own version folder
    FOLDER = "folder"  # a plain folder inside the extensions folder
    LINK = "link"  # a link the installer did not make: never followed, only unlinked


@dataclass(frozen=True)
class Slot:
    """`extensions/<code>` as it is now."""

    path: Path
    kind: Kind
    version: Path | None = None  # Kind.VERSION: the version folder, if it is still there
    target: Path | None = None  # Kind.LINK: where the link points (left alone)

    @classmethod
    def of(cls, extensions_dir: Path, code: str) -> Slot:
        if not CODE_PATTERN.fullmatch(code):  # a code is never a path: no "..", no "/"
            raise ExtensionNotFound(f"no extension with code {code!r}")
        path = extensions_dir / code
        if not path.is_symlink():
            return cls(path, Kind.FOLDER if path.exists() else Kind.EMPTY)
        text = os.readlink(path)
        parts = PurePosixPath(text).parts
        if len(parts) == 2 and parts[0] == VERSIONS and _version_name(code).fullmatch(parts[1]):
            return cls(path, Kind.VERSION, version=_own_folder(extensions_dir, parts[1]))
        return cls(path, Kind.LINK, target=Path(extensions_dir, text))


def _version_name(code: str) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(code)}-[A-Za-z0-9_]+")


def _own_folder(extensions_dir: Path, name: str) -> Path | None:
    """`.versions/<name>` if it and `.versions` are real folders, not links out."""
    versions = extensions_dir / VERSIONS
    folder = versions / name
    if versions.is_symlink() or folder.is_symlink() or not folder.is_dir():
        return None
    return folder


def new_version(extensions_dir: Path, code: str, unpacked: Path) -> Path:
    """Move an unpacked package into a new version folder of its own."""
    versions = extensions_dir / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    version = Path(tempfile.mkdtemp(prefix=f"{code}-", dir=versions))
    os.replace(unpacked, version)
    return version


def point(link: Path, version: Path) -> None:
    """Make `link` the installer's link to `version`, in one atomic rename: a reader sees
    the old target or the new one, never none."""
    staged = version.parent / f".{version.name}.link"
    staged.unlink(missing_ok=True)
    staged.symlink_to(PurePosixPath(VERSIONS, version.name))
    os.replace(staged, link)


def delete(folder: Path) -> None:
    """Delete a folder inside the extensions folder: first renamed (so it vanishes at once,
    and a half-deleted tree never has the extension's name), then removed."""
    trash = Path(tempfile.mkdtemp(prefix=".deleting-", dir=folder.parent))
    os.replace(folder, trash / "folder")
    unmark(folder)
    shutil.rmtree(trash, ignore_errors=True)


@contextmanager
def locked(extensions_dir: Path) -> Iterator[None]:
    """Uploads, removals and the unpacking of stored packages of one home take turns."""
    extensions_dir.mkdir(parents=True, exist_ok=True)
    with (extensions_dir / LOCK_FILE).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def own_folder(slot: Slot) -> Path | None:
    """The folder of an uploaded copy (a version folder, or a plain folder); None for a link
    or nothing."""
    if slot.kind is Kind.VERSION:
        return slot.version
    return slot.path if slot.kind is Kind.FOLDER else None


def marker(slot: Slot) -> str | None:
    """The sha256 of the stored package the version at `slot` was unpacked from, if any."""
    if slot.version is None:
        return None
    try:
        return _marker_path(slot.version).read_text("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


def mark(version: Path, sha256: str) -> None:
    """Record the sha256 of the package a version folder came from."""
    path = _marker_path(version)
    path.parent.mkdir(exist_ok=True)
    path.write_text(sha256 + "\n", "ascii")


def unmark(version: Path) -> None:
    """Forget the marker of a version folder that is being deleted."""
    if version.parent.name == VERSIONS:
        _marker_path(version).unlink(missing_ok=True)


def _marker_path(version: Path) -> Path:
    return version.parent.parent / MARKERS / version.name
