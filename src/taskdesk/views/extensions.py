"""The shapes of extensions and their modules (Extensions > Installer and > Extensions)."""

from __future__ import annotations

from typing_extensions import TypedDict

from taskdesk.clock import isoformat
from taskdesk.models.extensions import Extension, ModuleRef, StoredPackage


class ModuleView(TypedDict):
    type: str
    code: str
    installed: bool


class PackageView(TypedDict):
    """The package stored in the database for every host (uploaded extensions only)."""

    version: str
    sha256: str  # hex digest of the zip's bytes
    size: int  # bytes
    date_added: str


class ExtensionView(TypedDict):
    code: str
    name: str
    version: str
    description: str
    author: str
    link: str
    requires: list[str]
    source: str
    modules: list[ModuleView]
    problem: str | None
    package: PackageView | None  # what every host unpacks; None: this host's own copy


class UninstallView(TypedDict):
    modules: list[str]  # TYPE/CODE of the modules whose uninstall() ran
    tasks_deleted: int  # waiting tasks of the extension removed with its last module


def extension_view(extension: Extension, installed: set[ModuleRef],
                   stored: StoredPackage | None = None) -> ExtensionView:
    """An extension with its modules, each marked installed or not, and its stored package."""
    manifest = extension.manifest
    return ExtensionView(
        code=manifest.code, name=manifest.name, version=manifest.version,
        description=manifest.description, author=manifest.author, link=manifest.link,
        requires=list(manifest.requires), source=extension.source,
        modules=[ModuleView(type=ref.type, code=ref.code, installed=ref in installed)
                 for ref in extension.modules],
        problem=extension.problem,
        package=None if stored is None else PackageView(
            version=stored.version, sha256=stored.sha256, size=stored.size,
            date_added=isoformat(stored.date_added) or ""),
    )
