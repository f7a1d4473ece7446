"""Extension packages: check a zip before anything is unpacked, unpack it safely, build one.

A package is `<code>.zip` with `install.json` at its root and Python files under `admin/`
and/or `catalog/`. Refused, with one message each: a file that is not a zip; entries with
`..`, `.` or empty segments, absolute paths, drive letters or backslashes; symbolic links;
encrypted entries; two entries for one path, or a path that is both a file and a folder; a
file larger than its limit, or with more than a few bytes outside its entries (junk before or
after the zip); more entries, more bytes or a higher compression ratio than the limits allow;
a module type or code too long for the `extension` table; a missing or malformed install.json.
A zip's headers can lie about sizes: zipfile reads no more than an entry declares and then
checks its CRC, so a lying entry fails while unpacking.
"""

from __future__ import annotations

import re
import shutil
import stat
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from taskdesk.config import DEFAULT_PACKAGE_MAX_FILE_BYTES, Settings
from taskdesk.errors import BadPackage
from taskdesk.extensions.catalogue import module_of, module_problem
from taskdesk.extensions.manifest import MANIFEST, parse_manifest
from taskdesk.extensions.zipspan import bytes_outside_entries
from taskdesk.models.extensions import Manifest

CODE_FOLDERS = ("admin", "catalog")
RATIO_CHECK_FROM_BYTES = 64 * 1024  # smaller entries may compress as well as they like
CHUNK_BYTES = 64 * 1024
OUTSIDE_ENTRIES_MAX_BYTES = 1024  # a zip's own slack; junk before or after it is more
_DRIVE = re.compile(r"^[A-Za-z]:")
_SKIPPED_WHEN_BUILDING = ("__pycache__", ".git", ".DS_Store")


@dataclass(frozen=True)
class Limits:
    max_entries: int
    max_bytes: int
    max_ratio: float
    max_file_bytes: int = DEFAULT_PACKAGE_MAX_FILE_BYTES

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(settings.package_max_entries, settings.package_max_bytes,
                   settings.package_max_ratio, settings.package_max_file_bytes)

    def check_file_size(self, size: int, filename: str) -> None:
        """Refuse a package file larger than the limit (before it is read or copied)."""
        if size > self.max_file_bytes:
            raise BadPackage(f"{filename} is {size} bytes; the limit is {self.max_file_bytes}")


def read_package(path: Path, limits: Limits, *, filename: str) -> Manifest:
    """The package's manifest once every check that needs no unpacking has passed."""
    limits.check_file_size(path.stat().st_size, filename)
    with _open_zip(path, filename) as archive:
        outside = bytes_outside_entries(path, archive)
        if outside > OUTSIDE_ENTRIES_MAX_BYTES:
            raise BadPackage(f"{filename} has {outside} bytes outside its entries (junk before "
                             f"or after the zip?)")
        entries = archive.infolist()
        if len(entries) > limits.max_entries:
            raise BadPackage(f"{filename} has {len(entries)} entries; the limit is "
                             f"{limits.max_entries}")
        for entry in entries:
            _check_entry(entry, limits)
        _check_totals(entries, limits, filename)
        names = [entry.filename for entry in entries]
        _check_layout(names, filename)
        text = archive.read(MANIFEST)
    return parse_manifest(text, default_code=_stem(filename))


def unpack(path: Path, destination: Path, *, filename: str) -> None:
    """Extract a package that read_package accepted into the new folder `destination`."""
    destination.mkdir(parents=True)
    root = destination.resolve()
    with _open_zip(path, filename) as archive:
        for entry in archive.infolist():
            target = (root / entry.filename).resolve()
            if not target.is_relative_to(root):
                raise BadPackage(f"entry {entry.filename!r} escapes the package folder")
            try:
                _extract(archive, entry, target)
            except OSError as error:
                raise BadPackage(f"{filename}: cannot unpack {entry.filename!r}: {error}"
                                 ) from None


def build_package(folder: Path, output_dir: Path, limits: Limits) -> Path:
    """Zip an extension's folder as `<code>.zip` in `output_dir`, and check the result."""
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise BadPackage(f"{folder} has no {MANIFEST}")
    code = parse_manifest(manifest_path.read_bytes(), default_code=folder.name).code
    output_dir.mkdir(parents=True, exist_ok=True)
    target = output_dir / f"{code}.zip"
    partial = output_dir / f".{code}.zip.part"
    skipped = {target.resolve(), partial.resolve()}  # an output inside the folder
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(_package_files(folder, skipped)):
                archive.write(file, file.relative_to(folder).as_posix())
        read_package(partial, limits, filename=target.name)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _package_files(folder: Path, skipped: set[Path]) -> Iterator[Path]:
    for file in folder.rglob("*"):
        parts = file.relative_to(folder).parts
        if file.is_file() and not file.is_symlink() and file.resolve() not in skipped and not any(
            part in _SKIPPED_WHEN_BUILDING or part.endswith(".pyc") for part in parts
        ):
            yield file


@contextmanager
def _open_zip(path: Path, filename: str) -> Iterator[zipfile.ZipFile]:
    if not zipfile.is_zipfile(path):
        raise BadPackage(f"{filename} is not a zip file")
    try:
        with zipfile.ZipFile(path) as archive:
            yield archive
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
        raise BadPackage(f"{filename} is a damaged zip: {error}") from None


def _check_entry(entry: zipfile.ZipInfo, limits: Limits) -> None:
    name = entry.filename
    if "\\" in name:  # (zipfile itself cuts a name at a NUL)
        raise BadPackage(f"entry {name!r} has a backslash in its name")
    if name.startswith("/") or _DRIVE.match(name):
        raise BadPackage(f"entry {name!r} has an absolute path")
    if ".." in _segments(name):
        raise BadPackage(f"entry {name!r} escapes the package folder with '..'")
    if any(segment in ("", ".") for segment in _segments(name)):
        raise BadPackage(f"entry {name!r} has an empty or '.' segment")
    if stat.S_ISLNK(entry.external_attr >> 16):
        raise BadPackage(f"entry {name!r} is a symbolic link")
    if entry.flag_bits & 0x1:
        raise BadPackage(f"entry {name!r} is encrypted")
    if entry.file_size >= RATIO_CHECK_FROM_BYTES and (
        entry.file_size > limits.max_ratio * max(entry.compress_size, 1)
    ):
        raise BadPackage(
            f"entry {name!r} expands {entry.file_size // max(entry.compress_size, 1)} times; "
            f"more than {limits.max_ratio:g} looks like a zip bomb"
        )


def _segments(name: str) -> list[str]:
    return name.removesuffix("/").split("/")


def _check_totals(entries: list[zipfile.ZipInfo], limits: Limits, filename: str) -> None:
    paths = [tuple(_segments(entry.filename)) for entry in entries]
    if len(set(paths)) != len(paths):
        raise BadPackage(f"{filename} has two entries for one path")
    folders = {path[:end] for path in paths for end in range(1, len(path))}
    files = {path for path, entry in zip(paths, entries, strict=True) if not entry.is_dir()}
    clash = next(iter(sorted(files & folders)), None)
    if clash:
        raise BadPackage(f"{filename}: {'/'.join(clash)!r} is both a file and a folder")
    total = sum(entry.file_size for entry in entries)
    if total > limits.max_bytes:
        raise BadPackage(f"{filename} unpacks to {total} bytes; the limit is {limits.max_bytes}")


def _check_layout(names: list[str], filename: str) -> None:
    if MANIFEST not in names:
        nested = next((name for name in names if name.endswith("/" + MANIFEST)), None)
        hint = f" (found {nested}: zip the folder's contents, not the folder)" if nested else ""
        raise BadPackage(f"{filename} has no {MANIFEST} at its root{hint}")
    if not any(name.split("/", 1)[0] in CODE_FOLDERS and name.endswith(".py") for name in names):
        raise BadPackage(f"{filename} has no Python file under admin/ or catalog/")
    for name in names:
        module = module_of(tuple(_segments(name)))
        problem = module and module_problem(module)
        if problem:
            raise BadPackage(f"{filename}: {problem}")


def _extract(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, target: Path) -> None:
    """One entry; zipfile stops at the declared size and checks the CRC (BadZipFile)."""
    if entry.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with archive.open(entry) as source, target.open("wb") as sink:
        shutil.copyfileobj(source, sink, CHUNK_BYTES)


def _stem(filename: str) -> str:
    """`test_module.zip` (or OpenCart's `test_module.ocmod.zip`) → `test_module`."""
    name = PurePosixPath(filename).name
    for suffix in (".ocmod.zip", ".zip"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name
