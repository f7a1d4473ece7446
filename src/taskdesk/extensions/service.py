"""Extensions: Extensions > Installer and Extensions > Extensions behind one object that the
CLI and the web call, returning views (taskdesk.views) rather than internal objects.

A change made for someone (`by`) is audited here: install and uninstall in their change's
transaction (lifecycle.py); upload and remove change files, not rows, so their entry is
written once the files are in place."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from taskdesk.accounts.audit import AuditLog
from taskdesk.extensions.catalogue import UPLOADED, Catalogue
from taskdesk.extensions.installer import Installer
from taskdesk.extensions.lifecycle import Lifecycle
from taskdesk.models.accounts import Actor
from taskdesk.models.extensions import Extension, ModuleRef, StoredPackage
from taskdesk.views import ExtensionView, UninstallView, extension_view


class Extensions:
    """Upload, list, install, uninstall and remove extensions."""

    def __init__(self, catalogue: Catalogue, installer: Installer, lifecycle: Lifecycle) -> None:
        self.catalogue = catalogue
        self.installer = installer
        self.lifecycle = lifecycle

    def all(self) -> list[ExtensionView]:
        """Every extension, uploaded or from a Python package, with its modules' state."""
        installed: dict[str, set[ModuleRef]] = defaultdict(set)
        for module in self.lifecycle.store.installed_modules():
            installed[module.extension].add(ModuleRef(type=module.type, code=module.code))
        extensions = self.catalogue.all()  # first: it may publish a copy from before
        stored = {stamp.code: stamp for stamp in self.lifecycle.store.packages.stamps()}
        return [extension_view(extension, installed[extension.code],
                               _stored(extension, stored))
                for extension in extensions]

    def get(self, code: str) -> ExtensionView:
        extension = self.catalogue.get(code)
        stored = {code: stamp} if (stamp := self.lifecycle.store.packages.stamp(code)) else {}
        return extension_view(extension, self.lifecycle.installed(code),
                              _stored(extension, stored))

    def upload(self, package: Path, *, upgrade: bool = False,
               by: Actor | None = None) -> ExtensionView:
        """Check a zip and unpack it (Extensions > Installer)."""
        view = self.get(self.installer.upload(package, upgrade=upgrade).code)
        self._record(by, "extensions.upload", view["code"], f"version {view['version']}")
        return view

    def install(self, code: str, module: str | None = None, *,
                by: Actor | None = None) -> list[str]:
        """Run install() of the extension's modules (or one); the names of those newly done."""
        return [ref.name for ref in self.lifecycle.install(code, module, audit=by)]

    def uninstall(self, code: str, module: str | None = None, *,
                  by: Actor | None = None) -> UninstallView:
        """Run uninstall() of the modules (or one); once none is installed, the extension's
        waiting tasks go too."""
        done, deleted = self.lifecycle.uninstall_counting_tasks(code, module, audit=by)
        return UninstallView(modules=[ref.name for ref in done], tasks_deleted=deleted)

    def link(self, folder: Path) -> ExtensionView:
        """Use an extension's working copy where it is (for its developer)."""
        return self.get(self.installer.link(folder).code)

    def remove(self, code: str, *, by: Actor | None = None) -> str:
        """Delete an uploaded extension whose modules are all uninstalled (or only unlink a
        linked working copy); returns what was done, in words."""
        message = self.installer.remove(code).message
        self._record(by, "extensions.remove", code, message)
        return message

    def _record(self, by: Actor | None, action: str, code: str, detail: str) -> None:
        if by is not None:
            AuditLog(self.lifecycle.store).record(actor=by.name, action=action,
                                                  target=f"extension {code}", detail=detail,
                                                  address=by.address)


def _stored(extension: Extension, stored: dict[str, StoredPackage]) -> StoredPackage | None:
    """The stored package of an uploaded extension (a linked working copy or a Python
    package is this host's own, whatever the database holds under its code)."""
    return stored.get(extension.code) if extension.source == UPLOADED else None
