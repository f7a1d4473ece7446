"""Issue 7, item 13 (upload part): a write that fails during an upload says that the write
failed and where, not "cannot read"; a bad `requires` entry is one line naming the entry."""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from taskdesk.config import Settings
from taskdesk.errors import BadPackage
from taskdesk.extensions.catalogue import Catalogue
from taskdesk.extensions.installer import Installer
from taskdesk.store import MemoryStore
from tests.extensions.support import manifest, seed_files, write_zip

pytestmark = pytest.mark.hostile

#: Runs one upload with a file-size limit (RLIMIT_FSIZE) that the copy of the package
#: exceeds: the write fails as on a full disk (EFBIG instead of ENOSPC), the read does not.
FULL_DISK_UPLOAD = textwrap.dedent("""
    import resource, signal, sys
    from pathlib import Path
    from taskdesk.config import Settings
    from taskdesk.errors import BadPackage
    from taskdesk.extensions.catalogue import Catalogue
    from taskdesk.extensions.installer import Installer
    from taskdesk.store import MemoryStore

    settings = Settings(home=Path(sys.argv[1]))
    installer = Installer(settings, Catalogue(settings.extensions_dir), MemoryStore())
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
    try:
        installer.upload(Path(sys.argv[2]))
    except BadPackage as error:
        print(error.message)
""")


@pytest.mark.slow
def test_a_write_that_fails_during_upload_says_write_and_where(tmp_path: Path) -> None:
    source = write_zip(tmp_path / "seed.zip", [
        ("install.json", manifest("seed")), *seed_files("seed").items(),
        ("catalog/data.bin", random.Random(0).randbytes(200_000)),
    ], compression=zipfile.ZIP_STORED)
    home = tmp_path / "home"

    done = subprocess.run([sys.executable, "-c", FULL_DISK_UPLOAD, str(home), str(source)],
                          capture_output=True, text=True, timeout=60,
                          env={"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"})

    assert done.returncode == 0, done.stderr
    message = done.stdout.strip()
    assert "cannot read" not in message
    assert message.startswith(f"cannot write the upload of seed.zip to {home / 'tmp'}")
    assert message.endswith("File too large")
    assert "\n" not in message


@pytest.mark.parametrize("entry", ["foo >= ", "requests[", "bad name>=1"])
def test_a_bad_requires_entry_is_one_line_naming_it(settings: Settings, tmp_path: Path,
                                                    entry: str) -> None:
    source = write_zip(tmp_path / "seed.zip", [
        ("install.json", manifest("seed", requires=["requests>=2", entry])),
        *seed_files("seed").items(),
    ])

    with pytest.raises(BadPackage) as raised:
        Installer(settings, Catalogue(settings.extensions_dir), MemoryStore()).upload(source)

    message = raised.value.message
    assert "\n" not in message
    assert message.startswith(f"install.json: bad requirement {entry!r} in 'requires'")
