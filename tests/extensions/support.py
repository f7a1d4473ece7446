"""Helpers for the extension tests: extension folders, zips, entry-point distributions, and
snapshots of folders (to prove that a refused package wrote nothing)."""

from __future__ import annotations

import json
import uuid
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

#: A zip entry: its name (or a ZipInfo carrying attributes) and its content.
Entry = tuple[str | zipfile.ZipInfo, bytes | str]


def unique_code(stem: str) -> str:
    """An extension code no other test uses: the PostgreSQL database and sys.modules outlive
    one test, so that tests never see each other's installed modules or controllers."""
    return f"{stem}_{uuid.uuid4().hex[:8]}"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def manifest(code: str | None = None, **fields: Any) -> str:
    """install.json text; `code` None leaves the code to the zip's file name."""
    data: dict[str, Any] = {"name": "Test extension", "version": "1.0.0"}
    if code is not None:
        data["code"] = code
    data.update(fields)
    return json.dumps(data)


def module_source(class_name: str, *, install: str = "pass", uninstall: str = "pass") -> str:
    """An admin module controller whose install()/uninstall() bodies are one line each."""
    return (
        "from __future__ import annotations\n\n"
        "from taskdesk import Controller\n\n\n"
        f"class {class_name}(Controller):\n"
        f"    def install(self) -> None:\n        {install}\n\n"
        f"    def uninstall(self) -> None:\n        {uninstall}\n"
    )


def task_source(message: str) -> str:
    """A catalog controller `Task` whose index() writes `message` to the error log."""
    return (
        "from __future__ import annotations\n\n"
        "from taskdesk import Controller\n\n\n"
        "class Task(Controller):\n"
        "    def index(self) -> None:\n"
        f"        self.log.write({message!r})\n"
    )


def write_extension(root: Path, code: str, files: Mapping[str, str], *,
                    install_json: str | None = None) -> Path:
    """An extension folder: install.json (code `code` unless given) plus `files`."""
    write(root / "install.json", manifest(code) if install_json is None else install_json)
    for relative, text in files.items():
        write(root / relative, text)
    return root


def seed_files(code: str, *, message: str = "task ran") -> dict[str, str]:
    """The seed extension's files: module/<code> adds `<code>_task`, which logs `message`."""
    class_name = "".join(part.capitalize() for part in code.split("_"))
    action = f"task/catalog/{code}.task"
    return {
        f"admin/controller/module/{code}.py": module_source(
            class_name,
            install=f"self.tasks.add(code={code + '_task'!r}, action={action!r})",
            uninstall=f"self.tasks.delete_by_code({code + '_task'!r})",
        ),
        "catalog/controller/task.py": task_source(message),
    }


def write_zip(path: Path, entries: Sequence[Entry], *,
              compression: int = zipfile.ZIP_DEFLATED) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, content in entries:
            archive.writestr(name, content)
    return path


def zip_folder(folder: Path, path: Path) -> Path:
    """Zip a folder's contents (not the folder), as an extension author would."""
    files = sorted(file for file in folder.rglob("*") if file.is_file())
    return write_zip(path, [(file.relative_to(folder).as_posix(), file.read_bytes())
                            for file in files])


def snapshot(root: Path, *, skip: Iterable[Path] = ()) -> dict[str, bytes | None]:
    """Every path under `root` (relative, POSIX) with its content; None for folders.

    Paths in `skip`, and everything under them, are left out."""
    skipped = [path.absolute() for path in skip]
    found: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        absolute = path.absolute()
        if any(absolute == s or absolute.is_relative_to(s) for s in skipped):
            continue
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[relative] = b"symlink -> " + str(path.readlink()).encode()
        elif path.is_dir():
            found[relative] = None
        else:
            found[relative] = path.read_bytes()
    return found


def write_entry_point_distribution(site: Path, *, package: str, distribution: str,
                                   code: str, files: Mapping[str, str],
                                   install_json: str | None = None) -> Path:
    """An installed distribution in `site` (a sys.path folder) whose entry point in the group
    `taskdesk.extensions` names `code` → the package `package`; returns the package folder."""
    folder = write_extension(site / package, code, files, install_json=install_json)
    write(folder / "__init__.py", "")
    info = site / f"{package}-1.0.dist-info"
    write(info / "METADATA", f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 1.0\n")
    write(info / "entry_points.txt", f"[taskdesk.extensions]\n{code} = {package}\n")
    return folder
