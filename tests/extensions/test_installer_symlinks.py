"""Issue 7, item 1: `extension remove` and `upload --upgrade` never delete what a link in
`extensions/` points to. Only the version folders the installer unpacked are ever deleted; a
link it did not unpack (a developer's working copy, linked by hand or by Installer.link) is only
unlinked by remove, and refused by an upgrade."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from taskdesk.config import Settings
from taskdesk.errors import BadPackage
from taskdesk.extensions.catalogue import Catalogue
from taskdesk.extensions.installer import Installer
from taskdesk.store import MemoryStore, Store
from tests.extensions.support import (
    manifest,
    seed_files,
    snapshot,
    write_extension,
    write_zip,
    zip_folder,
)

pytestmark = pytest.mark.hostile

CODE = "test_module"


def installer(settings: Settings, store: Store | None = None) -> Installer:
    return Installer(settings, Catalogue(settings.extensions_dir), store or MemoryStore())


@pytest.fixture(params=["same-filesystem", "other-filesystem"])
def checkout(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """A developer's working copy of the extension, with a .git folder; on the data folder's
    filesystem or on /dev/shm (a tmpfs: another filesystem, where a move is a copy)."""
    if request.param == "same-filesystem":
        parent = tmp_path / "dev"
        parent.mkdir()
        yield write_checkout(parent / CODE)
        return
    if not Path("/dev/shm").is_dir():
        pytest.skip("no /dev/shm for a second filesystem")
    with tempfile.TemporaryDirectory(dir="/dev/shm") as other:
        yield write_checkout(Path(other) / CODE)


def write_checkout(folder: Path) -> Path:
    write_extension(folder, CODE, seed_files(CODE))
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (folder / "notes.txt").write_text("uncommitted work\n")
    return folder


def link_by_hand(settings: Settings, folder: Path) -> Path:
    settings.extensions_dir.mkdir(parents=True, exist_ok=True)
    link = settings.extensions_dir / CODE
    link.symlink_to(folder)  # ln -s ~/dev/test_module $TASKDESK_HOME/extensions/test_module
    return link


def test_remove_of_a_link_made_by_hand_only_unlinks_it(settings: Settings,
                                                       checkout: Path) -> None:
    link = link_by_hand(settings, checkout)
    before = snapshot(checkout)

    removal = installer(settings).remove(CODE)

    assert snapshot(checkout) == before
    assert not link.is_symlink()
    assert not link.exists()
    assert removal.unlinked == checkout
    assert f"its folder {checkout} is left as it was" in removal.message


def test_upgrade_over_a_link_made_by_hand_is_refused_and_touches_nothing(
    settings: Settings, checkout: Path, tmp_path: Path,
) -> None:
    link = link_by_hand(settings, checkout)
    before = snapshot(checkout)
    source = zip_folder(checkout, tmp_path / "upload" / f"{CODE}.zip")

    with pytest.raises(BadPackage, match=r"link to .*not.* the installer"):
        installer(settings).upload(source, upgrade=True)

    assert snapshot(checkout) == before
    assert link.is_symlink()
    assert link.resolve() == checkout.resolve()
    assert list(settings.scratch_dir.iterdir()) == []


def test_remove_and_upgrade_of_a_linked_working_copy_leave_every_file_untouched(
    settings: Settings, checkout: Path, tmp_path: Path,
) -> None:
    """The supported way: Installer.link, then upgrade (refused) and remove (unlinks)."""
    before = snapshot(checkout)
    extension = installer(settings).link(checkout)
    assert extension.code == CODE
    assert extension.root == settings.extensions_dir / CODE
    assert extension.source == "link"
    source = zip_folder(checkout, tmp_path / "upload" / f"{CODE}.zip")

    with pytest.raises(BadPackage):
        installer(settings).upload(source, upgrade=True)
    installer(settings).remove(CODE)

    assert snapshot(checkout) == before
    assert not (settings.extensions_dir / CODE).exists()


def test_a_link_into_another_extensions_version_folder_is_only_unlinked(
    settings: Settings, tmp_path: Path,
) -> None:
    """`extensions/a -> .versions/b-…` looks like the installer's own link, but the version
    folder is b's: removing a must not delete b."""
    source = write_zip(tmp_path / "b.zip", [("install.json", manifest("b")),
                                            *seed_files("b").items()])
    installer(settings).upload(source)
    b_version = (settings.extensions_dir / "b").readlink()
    (settings.extensions_dir / "a").symlink_to(b_version)
    before = snapshot(settings.extensions_dir / "b")

    removal = installer(settings).remove("a")

    assert snapshot(settings.extensions_dir / "b") == before
    assert not (settings.extensions_dir / "a").is_symlink()
    assert removal.unlinked is not None


def test_link_refuses_a_folder_without_install_json_or_a_code_in_use(
    settings: Settings, checkout: Path, tmp_path: Path,
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BadPackage, match=r"has no install\.json"):
        installer(settings).link(empty)
    installer(settings).link(checkout)
    with pytest.raises(BadPackage, match="already"):
        installer(settings).link(checkout)


def test_removing_an_uploaded_extension_still_deletes_its_version_folder(
    settings: Settings, tmp_path: Path,
) -> None:
    source = write_zip(tmp_path / f"{CODE}.zip", [("install.json", manifest(CODE)),
                                                  *seed_files(CODE).items()])
    installer(settings).upload(source)
    version = settings.extensions_dir / (settings.extensions_dir / CODE).readlink()
    assert version.is_dir()

    removal = installer(settings).remove(CODE)

    assert removal.unlinked is None
    assert not version.exists()
    assert not (settings.extensions_dir / CODE).is_symlink()
