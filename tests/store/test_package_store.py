"""The package verbs (store.packages) on every backend (memory, SQLite, PostgreSQL): a row per
extension code, replaced whole, its bytes kept exactly, hostile versions stored as given."""

from __future__ import annotations

import hashlib

import pytest

from taskdesk.store import Store
from tests.support import FakeClock

ZIP = b"PK\x03\x04" + bytes(range(256)) * 40 + b"\x00\xff"  # every byte value, NUL too


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_put_stamp_data_delete(store: Store, clock: FakeClock) -> None:
    stored = store.packages.put("test_module", "1.0.0", _sha(ZIP), ZIP)

    assert (stored.code, stored.version, stored.sha256, stored.size) == (
        "test_module", "1.0.0", _sha(ZIP), len(ZIP))
    assert stored.date_added == clock()
    assert store.packages.stamp("test_module") == stored
    assert store.packages.data("test_module") == (stored, ZIP)
    assert store.packages.stamps() == [stored]
    assert store.packages.delete("test_module") is True
    assert store.packages.delete("test_module") is False
    assert store.packages.stamp("test_module") is None
    assert store.packages.data("test_module") is None


def test_put_again_replaces_the_row(store: Store, clock: FakeClock) -> None:
    store.packages.put("test_module", "1.0.0", _sha(ZIP), ZIP)
    clock.advance(5)
    newer = ZIP + b"2"
    stored = store.packages.put("test_module", "1.1.0", _sha(newer), newer)

    assert store.packages.stamps() == [stored]
    assert store.packages.data("test_module") == (stored, newer)
    assert stored.date_added == clock()


def test_stamps_are_by_code(store: Store) -> None:
    for code in ("zeta", "alpha", "mid"):
        store.packages.put(code, "1", _sha(code.encode()), code.encode())
    assert [stamp.code for stamp in store.packages.stamps()] == ["alpha", "mid", "zeta"]


@pytest.mark.hostile
def test_a_hostile_version_is_stored_as_given(store: Store) -> None:
    version = "<b>1</b>\x1b[31m\n'; DROP TABLE package; --" + "é" * 900
    store.packages.put("test_module", version, _sha(ZIP), ZIP)
    stamp = store.packages.stamp("test_module")
    assert stamp is not None
    assert stamp.version == version


def test_a_rolled_back_block_keeps_the_old_row(store: Store) -> None:
    old = store.packages.put("test_module", "1.0.0", _sha(ZIP), ZIP)

    def upgrade_that_fails() -> None:
        with store.atomic() as bound:
            bound.packages.put("test_module", "2.0.0", _sha(b"new"), b"new")
            raise RuntimeError("the upgrade() hook failed")

    with pytest.raises(RuntimeError):
        upgrade_that_fails()
    assert store.packages.data("test_module") == (old, ZIP)
