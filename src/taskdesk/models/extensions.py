"""What the catalogue finds: an extension (an unpacked package), its manifest (install.json)
and its modules, as frozen values. Reading them from disk is taskdesk.extensions' job."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

#: The manifest's text fields, in the order install.json's documentation lists them.
TEXT_FIELDS = ("name", "description", "version", "author", "link")


@dataclass(frozen=True, order=True)
class ModuleRef:
    """An admin controller with install()/uninstall(): admin/controller/<type>/<code>.py."""

    type: str
    code: str

    @property
    def name(self) -> str:
        return f"{self.type}/{self.code}"


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """What an extension package says about itself (taskdesk.extensions.manifest reads it)."""

    code: str
    name: str
    version: str
    description: str = ""
    author: str = ""
    link: str = ""
    requires: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, **{name: getattr(self, name) for name in TEXT_FIELDS},
                "requires": list(self.requires)}


@dataclass(frozen=True, kw_only=True)
class Extension:
    manifest: Manifest
    root: Path
    source: str  # "upload", "link", or the distribution that provides it
    modules: tuple[ModuleRef, ...]
    problem: str | None = None  # why it cannot be used, shown instead of failing the list

    @property
    def code(self) -> str:
        return self.manifest.code


@dataclass(frozen=True)
class StoredPackage:
    """An uploaded package as the database keeps it for every host (its bytes apart):
    `sha256` is the hex digest of the zip's bytes as they were uploaded."""

    code: str
    version: str
    sha256: str
    size: int  # bytes of the zip
    date_added: datetime


@dataclass(frozen=True)
class NewPackage:
    """A checked package on its way into the database (its zip's bytes and their sha256)."""

    code: str
    version: str
    sha256: str
    data: bytes = field(repr=False)

