"""The packages' storage seam, reached as `store.packages` on every Store (as schedules are):
one row per uploaded extension code with its zip's bytes, from which every host unpacks its
own copy. The contract suite (tests/store/test_package_store.py) runs it on memory, SQLite and
PostgreSQL. The store keeps what it is given: the sha256 is computed, and checked against the
bytes before anything is unpacked, by taskdesk.extensions.packages.
"""

from __future__ import annotations

from typing import Protocol

from taskdesk.models.extensions import StoredPackage


class PackageStore(Protocol):
    def put(self, code: str, version: str, sha256: str, data: bytes) -> StoredPackage:
        """Store the package of `code`, replacing the one stored (an upgrade) in one
        transaction: a reader sees the old row or the new one, never none."""
        ...

    def stamp(self, code: str) -> StoredPackage | None:
        """The stored package of `code` without its bytes: one read by primary key (a host
        makes it at each start of a task of the extension)."""
        ...

    def stamps(self) -> list[StoredPackage]:
        """Every stored package without its bytes, by code."""
        ...

    def data(self, code: str) -> tuple[StoredPackage, bytes] | None:
        """The stored package of `code` with its bytes, read together."""
        ...

    def delete(self, code: str) -> bool:
        """Forget the package of `code`; False if none was stored."""
        ...
