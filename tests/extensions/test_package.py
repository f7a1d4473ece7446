"""Extension packages through Installer.upload: every kind of bad package is refused with a
message naming the problem and leaves no trace outside the scratch folder; good packages
unpack into place; build_package makes packages that upload."""

from __future__ import annotations

import json
import random
import re
import shutil
import stat
import struct
import threading
import zipfile
from pathlib import Path

import pytest

from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from taskdesk.config import Settings
from taskdesk.errors import BadPackage
from taskdesk.extensions.catalogue import Catalogue
from taskdesk.extensions.installer import Installer
from taskdesk.extensions.package import Limits, build_package, read_package
from taskdesk.store import MemoryStore
from tests.extensions.support import Entry, manifest, seed_files, snapshot, write_zip

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "test_module"
ADMIN = ("admin/controller/module/seed.py", "x = 1\n")
CATALOG = ("catalog/controller/task.py", "y = 2\n")
CENTRAL = b"PK\x01\x02"
LOCAL = b"PK\x03\x04"


def installer(settings: Settings) -> Installer:
    return Installer(settings, Catalogue(settings.extensions_dir), MemoryStore())


@pytest.fixture
def home(settings: Settings) -> Settings:
    """An installation that already holds one uploaded extension, `keep`, so that a refused
    upload is also seen not to touch what is there."""
    source = write_zip(settings.home.parent / "keep" / "keep.zip",
                       [("install.json", manifest("keep")), ADMIN, CATALOG])
    installer(settings).upload(source)
    shutil.rmtree(source.parent)
    return settings


def package(tmp_path: Path, name: str, entries: list[Entry]) -> Path:
    return write_zip(tmp_path / "upload" / name, entries)


def refused(settings: Settings, source: Path, pattern: str, *,
            upgrade: bool = False) -> BadPackage:
    """Upload `source`, expecting BadPackage matching `pattern` and no trace of it anywhere
    but the scratch folder, which must be empty afterwards."""
    root = settings.home.parent  # tmp_path: the home folder and the upload folder
    before = snapshot(root, skip=[source, settings.scratch_dir])
    with pytest.raises(BadPackage, match=pattern) as raised:
        installer(settings).upload(source, upgrade=upgrade)
    assert snapshot(root, skip=[source, settings.scratch_dir]) == before
    assert list(settings.scratch_dir.iterdir()) == []
    return raised.value


def patch_entry(path: Path, name: str, *, size: int | None = None,
                flags: int | None = None) -> None:
    """Rewrite an entry's uncompressed size or flag bits in its local and central headers,
    as a hand-made (or hostile) zip may say them."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        local = archive.getinfo(name).header_offset
    assert data[local:local + 4] == LOCAL
    central = data.find(CENTRAL)
    while data[central + 46:central + 46 + struct.unpack_from("<H", data, central + 28)[0]] \
            != name.encode():
        central = data.find(CENTRAL, central + 4)
        assert central >= 0, f"{name} has no central header"
    if size is not None:
        struct.pack_into("<I", data, local + 22, size)
        struct.pack_into("<I", data, central + 24, size)
    if flags is not None:
        struct.pack_into("<H", data, local + 6, flags)
        struct.pack_into("<H", data, central + 8, flags)
    path.write_bytes(bytes(data))


# -- names that would write outside the extension's folder -----------------------------------

@pytest.mark.parametrize("name", [
    "../../../../escaped.txt",  # from home/tmp/package-*/unpacked: right into tmp_path
    "admin/../../../../../escaped.txt",
    "catalog/controller/../../..",
])
def test_entry_with_dot_dot_is_refused(home: Settings, tmp_path: Path, name: str) -> None:
    source = package(tmp_path, "seed.zip", [("install.json", manifest("seed")), ADMIN,
                                            (name, "escaped")])

    refused(home, source, r"escapes the package folder with '\.\.'")

    assert not (tmp_path / "escaped.txt").exists()


def test_absolute_entry_is_refused(home: Settings, tmp_path: Path) -> None:
    source = package(tmp_path, "seed.zip", [("install.json", manifest("seed")), ADMIN,
                                            ("/etc/x", "escaped")])

    refused(home, source, r"entry '/etc/x' has an absolute path")


def test_absolute_entry_into_a_writable_folder_is_refused(home: Settings,
                                                          tmp_path: Path) -> None:
    target = tmp_path / "escaped.txt"
    source = package(tmp_path, "seed.zip", [("install.json", manifest("seed")), ADMIN,
                                            (str(target), "escaped")])

    refused(home, source, r"has an absolute path")

    assert not target.exists()


@pytest.mark.parametrize("name", ["C:/x", "c:x", "D:/Windows/evil.dll"])
def test_drive_letter_entry_is_refused(home: Settings, tmp_path: Path, name: str) -> None:
    source = package(tmp_path, "seed.zip", [("install.json", manifest("seed")), ADMIN,
                                            (name, "escaped")])

    refused(home, source, rf"entry '{re.escape(name)}' has an absolute path")


@pytest.mark.parametrize("name", ["admin\\controller\\module\\seed.py", "..\\..\\escaped.txt"])
def test_backslash_entry_is_refused(home: Settings, tmp_path: Path, name: str) -> None:
    source = package(tmp_path, "seed.zip", [("install.json", manifest("seed")), ADMIN,
                                            (name, "x = 1\n")])

    refused(home, source, r"has a backslash in its name")


def test_symbolic_link_entry_is_refused(home: Settings, tmp_path: Path) -> None:
    link = zipfile.ZipInfo("catalog/controller/passwd.py")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    source = package(tmp_path, "seed.zip", [("install.json", manifest("seed")), ADMIN,
                                            (link, "/etc/passwd")])

    refused(home, source, r"entry 'catalog/controller/passwd.py' is a symbolic link")


def test_encrypted_entry_is_refused(home: Settings, tmp_path: Path) -> None:
    source = package(tmp_path, "seed.zip", [("install.json", manifest("seed")), ADMIN])
    patch_entry(source, ADMIN[0], flags=0x1)

    refused(home, source, r"entry 'admin/controller/module/seed.py' is encrypted")


# -- install.json ------------------------------------------------------------------------------

def test_missing_install_json_is_refused(home: Settings, tmp_path: Path) -> None:
    source = package(tmp_path, "seed.zip", [ADMIN, CATALOG])

    refused(home, source, r"seed\.zip has no install\.json at its root$")


def test_install_json_in_a_top_folder_hints_to_zip_the_contents(home: Settings,
                                                                  tmp_path: Path) -> None:
    source = package(tmp_path, "seed.zip", [
        ("seed/install.json", manifest("seed")), (f"seed/{ADMIN[0]}", ADMIN[1]),
    ])

    error = refused(home, source, r"has no install\.json at its root")

    assert "seed/install.json" in error.message
    assert "zip the folder's contents, not the folder" in error.message


@pytest.mark.parametrize("text", ['{"name": "x", "version": ', "", "\xff\xfe not utf-8"])
def test_malformed_install_json_is_refused(home: Settings, tmp_path: Path, text: str) -> None:
    source = package(tmp_path, "seed.zip", [("install.json", text.encode("latin-1")), ADMIN])

    refused(home, source, r"install\.json is not valid JSON")


def test_install_json_that_is_a_list_is_refused(home: Settings, tmp_path: Path) -> None:
    source = package(tmp_path, "seed.zip", [("install.json", '["name", "version"]'), ADMIN])

    refused(home, source, r"install\.json must hold a JSON object")


@pytest.mark.parametrize("missing", ["name", "version"])
def test_install_json_without_name_or_version_is_refused(home: Settings, tmp_path: Path,
                                                         missing: str) -> None:
    fields = {"code": "seed", "name": "Seed", "version": "1.0"}
    del fields[missing]
    source = package(tmp_path, "seed.zip", [("install.json", json.dumps(fields)), ADMIN])

    refused(home, source, rf"install\.json: '{missing}' is required")


def test_bad_code_in_install_json_is_refused(home: Settings, tmp_path: Path) -> None:
    source = package(tmp_path, "seed.zip", [("install.json", manifest("Bad-Code")), ADMIN])

    refused(home, source, r"bad extension code 'Bad-Code'")


def test_bad_code_from_the_file_name_is_refused(home: Settings, tmp_path: Path) -> None:
    source = package(tmp_path, "Bad-Code.zip", [("install.json", manifest(None)), ADMIN])

    refused(home, source, r"bad extension code 'Bad-Code'")


# -- an extension already there -----------------------------------------------------------------

def test_code_already_uploaded_needs_upgrade(home: Settings, tmp_path: Path) -> None:
    source = package(tmp_path, "keep.zip", [("install.json", manifest("keep", version="2")),
                                            ADMIN])

    refused(home, source, r"extension 'keep' is already uploaded: upload it as an upgrade "
                          r"to replace it \(--upgrade")


def test_upgrade_replaces_the_files_of_the_old_version(home: Settings, tmp_path: Path) -> None:
    folder = home.extensions_dir / "keep"
    assert (folder / CATALOG[0]).is_file()
    source = package(tmp_path, "keep.zip", [
        ("install.json", manifest("keep", version="2.0")),
        (ADMIN[0], "x = 'two'\n"),
        ("catalog/controller/new.py", "z = 3\n"),
    ])

    extension = installer(home).upload(source, upgrade=True)

    assert extension.manifest.version == "2.0"
    assert sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*")
                  if path.is_file()) == [ADMIN[0], "catalog/controller/new.py", "install.json"]
    assert (folder / ADMIN[0]).read_text() == "x = 'two'\n"
    assert (home.packages_dir / "keep.zip").read_bytes() == source.read_bytes()
    assert list(home.scratch_dir.iterdir()) == []


# -- sizes ------------------------------------------------------------------------------------

def test_more_entries_than_the_limit_are_refused(home: Settings, tmp_path: Path) -> None:
    entries: list[Entry] = [("install.json", manifest("seed"))]
    entries += [(f"admin/controller/module/m{n}.py", "") for n in range(5)]
    source = package(tmp_path, "seed.zip", entries)

    refused(home.evolve(package_max_entries=5), source,
            r"seed\.zip has 6 entries; the limit is 5")


def test_more_bytes_than_the_limit_are_refused(home: Settings, tmp_path: Path) -> None:
    noise = random.Random(0).randbytes(20_000)  # does not compress: no zip bomb
    source = package(tmp_path, "seed.zip", [("install.json", manifest("seed")), ADMIN,
                                            ("catalog/data.bin", noise)])

    refused(home.evolve(package_max_bytes=10_000), source,
            r"seed\.zip unpacks to \d+ bytes; the limit is 10000")


def test_zip_bomb_is_refused(home: Settings, tmp_path: Path) -> None:
    source = package(tmp_path, "seed.zip", [("install.json", manifest("seed")), ADMIN,
                                            ("catalog/zeros.bin", bytes(5_000_000))])

    refused(home, source, r"entry 'catalog/zeros\.bin' expands \d+ times; more than 100 "
                          r"looks like a zip bomb")


def test_entry_holding_more_than_its_header_declares_is_refused_while_unpacking(
    home: Settings, tmp_path: Path,
) -> None:
    name = "catalog/zeros.bin"
    source = package(tmp_path, "seed.zip", [("install.json", manifest("seed")), ADMIN,
                                            (name, bytes(5_000_000))])
    patch_entry(source, name, size=1_000)  # small enough for the ratio and size checks
    limits = Limits.from_settings(home)
    assert read_package(source, limits, filename=source.name).code == "seed"  # headers pass

    error = refused(home, source, r"damaged zip|more bytes than it declares")

    assert name in error.message


def test_unpacking_errors_name_the_uploaded_file(home: Settings, tmp_path: Path) -> None:
    """Every other refusal names the file the user gave, not the scratch copy."""
    name = "catalog/zeros.bin"
    source = package(tmp_path, "liar.zip", [("install.json", manifest("liar")), ADMIN,
                                            (name, bytes(100_000))])
    patch_entry(source, name, size=1_000)

    error = refused(home, source, name)

    assert "liar.zip" in error.message
    assert "package.zip" not in error.message


# -- entries that clash -----------------------------------------------------------------------

def test_duplicate_entries_are_refused(home: Settings, tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        source = package(tmp_path, "seed.zip", [
            ("install.json", manifest("seed")), ADMIN,
            ("install.json", manifest("seed", name="Second")),
        ])

    refused(home, source, r"seed\.zip has two entries for one path")


@pytest.mark.parametrize("second", ["./install.json", "admin//controller/module/seed.py",
                                    "admin/./controller/module/seed.py"])
def test_entries_naming_the_same_file_differently_are_refused(home: Settings, tmp_path: Path,
                                                              second: str) -> None:
    """Two entries that unpack to one file: the one read_package checked must not be
    overwritten by one it did not."""
    source = package(tmp_path, "seed.zip", [
        ("install.json", manifest("seed")), ADMIN, (second, manifest("other")),
    ])

    refused(home, source, rf"two entries for one path|{re.escape(second)}")


@pytest.mark.parametrize("entries", [
    [("admin", "a file"), ADMIN],  # a file where the package needs a folder
    [ADMIN, ("admin", "a file")],  # a folder where the package puts a file
], ids=["file-then-folder", "folder-then-file"])
def test_entry_that_is_both_a_file_and_a_folder_is_refused(
    home: Settings, tmp_path: Path, entries: list[Entry],
) -> None:
    source = package(tmp_path, "seed.zip", [("install.json", manifest("seed")), *entries])

    refused(home, source, r"admin")


# -- not a package at all -----------------------------------------------------------------------

def truncated_zip(path: Path) -> None:
    write_zip(path, [("install.json", manifest("seed")), ADMIN, CATALOG])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("kind", ["text", "empty", "truncated"])
def test_file_that_is_not_a_zip_is_refused(home: Settings, tmp_path: Path, kind: str) -> None:
    source = tmp_path / "upload" / "seed.zip"
    source.parent.mkdir(parents=True)
    if kind == "text":
        source.write_text("install.json\nadmin/controller/module/seed.py\n")
    elif kind == "empty":
        source.write_bytes(b"")
    else:
        truncated_zip(source)

    refused(home, source, r"seed\.zip is not a zip file")


def test_package_with_neither_admin_nor_catalog_is_refused(home: Settings,
                                                           tmp_path: Path) -> None:
    source = package(tmp_path, "seed.zip", [
        ("install.json", manifest("seed")), ("system/controller/x.py", ""),
    ])

    refused(home, source, r"seed\.zip has no Python file under admin/ or catalog/")


def test_missing_file_is_refused(home: Settings, tmp_path: Path) -> None:
    with pytest.raises(BadPackage, match="is not a file"):
        installer(home).upload(tmp_path / "nowhere.zip")


# -- good packages ------------------------------------------------------------------------------

def test_good_package_unpacks_into_extensions_and_keeps_its_zip(tmp_path: Path) -> None:
    files = seed_files("seed")
    source = package(tmp_path, "seed.zip", [("install.json", manifest("seed")),
                                            *files.items()])
    desk = Taskdesk(Settings(home=tmp_path / "home"))
    desk.init()
    try:
        extension = Admin(desk).installer.upload(source)
        settings = desk.settings
    finally:
        desk.close()

    folder = settings.extensions_dir / "seed"
    assert extension.code == "seed"
    assert extension.source == "upload"
    assert extension.root == folder
    assert extension.problem is None
    assert [ref.name for ref in extension.modules] == ["module/seed"]
    assert (folder / "install.json").read_text() == manifest("seed")
    for relative, text in files.items():
        assert (folder / relative).read_text() == text
    assert (settings.packages_dir / "seed.zip").read_bytes() == source.read_bytes()
    assert source.is_file()  # the user's file stays where it was
    assert list(settings.scratch_dir.iterdir()) == []


def test_ocmod_zip_name_gives_the_code(settings: Settings, tmp_path: Path) -> None:
    source = package(tmp_path, "seed_mod.ocmod.zip", [("install.json", manifest(None)), ADMIN])

    extension = installer(settings).upload(source)

    assert extension.code == "seed_mod"
    assert (settings.extensions_dir / "seed_mod" / ADMIN[0]).is_file()
    assert (settings.packages_dir / "seed_mod.zip").read_bytes() == source.read_bytes()


def test_build_package_of_the_example_skips_caches_and_uploads(settings: Settings,
                                                               tmp_path: Path) -> None:
    folder = tmp_path / "test_module"
    shutil.copytree(EXAMPLE, folder)
    (folder / "catalog" / "controller" / "__pycache__").mkdir()
    (folder / "catalog" / "controller" / "__pycache__" / "task.cpython-311.pyc").write_bytes(
        b"\x00cache")
    (folder / "admin" / "controller" / "module" / "stray.pyc").write_bytes(b"\x00cache")
    limits = Limits.from_settings(settings)

    built = build_package(folder, tmp_path / "dist", limits)

    assert built == tmp_path / "dist" / "test_module.zip"
    with zipfile.ZipFile(built) as archive:
        names = sorted(archive.namelist())
    assert names == ["admin/controller/module/test_module.py", "catalog/controller/task.py",
                     "install.json"]
    assert read_package(built, limits, filename=built.name).name == "Test Module"
    extension = installer(settings).upload(built)
    assert [ref.name for ref in extension.modules] == ["module/test_module"]


def test_a_deeply_nested_install_json_is_refused(home: Settings, tmp_path: Path) -> None:
    deep = "[" * 5_000 + "]" * 5_000  # past the recursion limit, under the ratio check
    text = json.dumps({"name": "x", "version": "1"})[:-1] + f', "nested": {deep}}}'
    source = package(tmp_path, "seed.zip", [("install.json", text), ADMIN])

    refused(home, source, r"install\.json is nested too deeply")


def test_an_unreadable_source_is_refused(home: Settings) -> None:
    refused(home, Path("/proc/self/mem"), r"cannot read /proc/self/mem")


def test_an_upgrade_over_a_folder_put_there_by_hand_replaces_it(
    home: Settings, tmp_path: Path,
) -> None:
    by_hand = home.extensions_dir / "seed"
    (by_hand / "admin").mkdir(parents=True)
    (by_hand / "install.json").write_text(manifest("seed"))
    source = package(tmp_path, "seed.zip", [("install.json", manifest("seed")), ADMIN])

    installer(home).upload(source, upgrade=True)

    assert (home.extensions_dir / "seed").is_symlink()
    assert (home.extensions_dir / "seed" / ADMIN[0]).read_text() == ADMIN[1]
    installer(home).remove("seed")
    assert not (home.extensions_dir / "seed").exists()
    versions = home.extensions_dir / ".versions"
    assert [version.name.split("-")[0] for version in versions.iterdir()] == ["keep"]


def test_concurrent_uploads_of_one_code_let_exactly_one_win(
    home: Settings, tmp_path: Path,
) -> None:
    sources = [package(tmp_path / str(n), "seed.zip",
                       [("install.json", manifest("seed")), ADMIN]) for n in range(4)]
    outcomes: list[str] = []

    def upload(source: Path) -> None:
        try:
            installer(home).upload(source)
            outcomes.append("uploaded")
        except BadPackage as error:
            outcomes.append(error.message)

    threads = [threading.Thread(target=upload, args=(source,)) for source in sources]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert outcomes.count("uploaded") == 1
    assert all("already uploaded" in outcome for outcome in outcomes if outcome != "uploaded")


def test_an_upgrade_never_leaves_the_extension_missing(home: Settings, tmp_path: Path) -> None:
    source = package(tmp_path, "seed.zip", [("install.json", manifest("seed")), ADMIN])
    installer(home).upload(source)
    catalogue = Catalogue(home.extensions_dir)
    upgrading = threading.Event()
    missing: list[int] = []

    def watch() -> None:
        while upgrading.is_set():
            if catalogue.locate("seed") is None or not (
                home.extensions_dir / "seed" / ADMIN[0]).is_file():
                missing.append(1)

    upgrading.set()
    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for _ in range(20):
            installer(home).upload(source, upgrade=True)
    finally:
        upgrading.clear()
        watcher.join(timeout=30)

    assert missing == []
    assert len(list((home.extensions_dir / ".versions").iterdir())) == 2  # keep and seed


def test_build_into_the_extension_folder_never_packs_its_own_output(tmp_path: Path) -> None:
    folder = tmp_path / "seed"
    for name, text in [("install.json", manifest("seed")), ADMIN]:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    limits = Limits(max_entries=100, max_bytes=10**6, max_ratio=100)

    build_package(folder, folder, limits)
    target = build_package(folder, folder, limits)  # the first zip now lies in the folder

    with zipfile.ZipFile(target) as archive:
        assert sorted(archive.namelist()) == sorted(["install.json", ADMIN[0]])
    assert sorted(p.name for p in folder.iterdir()) == ["admin", "install.json", "seed.zip"]
