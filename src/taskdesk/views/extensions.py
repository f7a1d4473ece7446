"""The shapes of extensions and their modules (Extensions > Installer and > Extensions)."""

from __future__ import annotations

from typing_extensions import TypedDict

from taskdesk.models.extensions import Extension, ModuleRef


class ModuleView(TypedDict):
    type: str
    code: str
    installed: bool


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


class UninstallView(TypedDict):
    modules: list[str]  # TYPE/CODE of the modules whose uninstall() ran
    tasks_deleted: int  # waiting tasks of the extension removed with its last module


def extension_view(extension: Extension, installed: set[ModuleRef]) -> ExtensionView:
    """An extension with its modules, each marked installed or not."""
    manifest = extension.manifest
    return ExtensionView(
        code=manifest.code, name=manifest.name, version=manifest.version,
        description=manifest.description, author=manifest.author, link=manifest.link,
        requires=list(manifest.requires), source=extension.source,
        modules=[ModuleView(type=ref.type, code=ref.code, installed=ref in installed)
                 for ref in extension.modules],
        problem=extension.problem,
    )
