"""Issue 7, item 3: an upload's own size is checked before anything is copied, and a zip with
more than a little data outside its entries (junk before or after it) is refused."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pytest

from taskdesk.config import Settings
from taskdesk.errors import BadPackage, ConfigError
from taskdesk.extensions.catalogue import Catalogue
from taskdesk.extensions.installer import Installer
from taskdesk.store import MemoryStore
from tests.extensions.support import manifest, seed_files, write_zip

pytestmark = pytest.mark.hostile

LIMIT = 64 * 1024  # bytes: small, so that no test writes much


def installer(settings: Settings) -> Installer:
    return Installer(settings, Catalogue(settings.extensions_dir), MemoryStore())


@pytest.fixture
def small(settings: Settings) -> Settings:
    return settings.evolve(package_max_file_bytes=LIMIT)


def good_zip(path: Path) -> Path:
    return write_zip(path, [("install.json", manifest("seed")), *seed_files("seed").items()])


def refused(settings: Settings, source: Path, pattern: str) -> None:
    """BadPackage matching `pattern`, and no trace: no extension, no kept zip, no scratch."""
    with pytest.raises(BadPackage, match=pattern):
        installer(settings).upload(source)
    for folder in (settings.packages_dir, settings.scratch_dir):
        assert not folder.exists() or list(folder.iterdir()) == []
    assert not (settings.extensions_dir / "seed").exists()


def test_an_upload_larger_than_the_limit_is_refused_before_it_is_copied(
    small: Settings, tmp_path: Path,
) -> None:
    big = tmp_path / "seed.zip"
    with big.open("wb") as sparse:  # 2 GiB on paper, nothing on disk
        sparse.truncate(2 * 1024**3)

    refused(small, big, rf"seed\.zip is 2147483648 bytes; the limit is {LIMIT}")
    assert not small.home.exists()  # refused before a scratch folder (or anything) was made


def test_a_small_zip_after_junk_is_refused(small: Settings, tmp_path: Path) -> None:
    inner = good_zip(tmp_path / "inner.zip").read_bytes()
    source = tmp_path / "seed.zip"
    source.write_bytes(random.Random(1).randbytes(20_000) + inner)
    with zipfile.ZipFile(source) as archive:  # zipfile itself reads it happily
        assert "install.json" in archive.namelist()

    refused(small, source, r"seed\.zip has 20000 bytes outside its entries")


def test_junk_after_a_zip_is_refused(small: Settings, tmp_path: Path) -> None:
    source = good_zip(tmp_path / "seed.zip")
    with source.open("ab") as tail:
        tail.write(random.Random(2).randbytes(30_000))
    with zipfile.ZipFile(source) as archive:
        assert "install.json" in archive.namelist()

    refused(small, source, r"seed\.zip has 30000 bytes outside its entries")


def test_junk_between_the_entries_and_the_central_directory_is_refused(
    small: Settings, tmp_path: Path,
) -> None:
    source = tmp_path / "seed.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("install.json", manifest("seed"))
        for name, text in seed_files("seed").items():
            archive.writestr(name, text)
        archive.fp.write(b"\0" * 5_000)  # type: ignore[union-attr]
        archive.start_dir += 5_000  # the central directory follows the junk

    refused(small, source, r"seed\.zip has 5000 bytes outside its entries")


def test_a_zip_with_a_comment_and_data_descriptors_is_accepted(small: Settings,
                                                              tmp_path: Path) -> None:
    """What ordinary zip tools write stays accepted: a comment, and entries written to a
    stream (sizes in a data descriptor after the data)."""
    source = tmp_path / "seed.zip"
    with source.open("wb") as raw:
        class Stream:  # not seekable: zipfile writes data descriptors
            def write(self, data: bytes) -> int:
                return raw.write(data)

            def flush(self) -> None:
                raw.flush()

        with zipfile.ZipFile(Stream(), "w", zipfile.ZIP_DEFLATED) as archive:  # type: ignore[call-overload]
            archive.comment = b"built by hand"
            archive.writestr("install.json", manifest("seed"))
            for name, text in seed_files("seed").items():
                with archive.open(name, "w") as entry:
                    entry.write(text.encode())

    assert installer(small).upload(source).code == "seed"


def test_the_limit_is_a_setting_with_bounds() -> None:
    env = {"TASKDESK_PACKAGE_MAX_FILE_BYTES": "1000"}
    assert Settings.from_env(env).package_max_file_bytes == 1000
    assert Settings().package_max_file_bytes == 50 * 1024 * 1024
    for bad in ("0", "-1", str(64 * 1024**3)):
        with pytest.raises(ConfigError, match="TASKDESK_PACKAGE_MAX_FILE_BYTES"):
            Settings.from_env({"TASKDESK_PACKAGE_MAX_FILE_BYTES": bad})
