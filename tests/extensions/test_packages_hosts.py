"""Issue 16 item 1: extensions reach every host. Two homes on one database play two hosts
(another TASKDESK_HOME is another machine's disk): a package uploaded and installed on host A
runs on host B, which unpacks it from the database; an upgrade on A is what B runs next;
uninstall and remove on A stop B; a stored package whose bytes were changed by hand is refused
by B with one line and nothing of it imported. Commands run in-process (tests/cli/inprocess.py)
except the one real `python -m taskdesk start`."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import update

from taskdesk import Taskdesk
from taskdesk.models.tasks import NewTask
from taskdesk.store import open_store
from taskdesk.store.sql.schema import package as package_table
from taskdesk.testing import run_due
from tests.cli.harness import Cli

CODE = "test_module"
ACTION = "task/catalog/test_module.task"


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


def seed_zip(folder: Path, *, version: str = "1.0", message: str = "My task has "
             "successfully started!", at_import: str = "") -> Path:
    """The seed's test_module.zip; `at_import` runs when its task controller is imported."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{CODE}.zip"
    path.write_bytes(seed_bytes(version=version, message=message, at_import=at_import))
    return path


def seed_bytes(*, version: str = "1.0", message: str = "ran", at_import: str = "",
               upgrade: str = "pass") -> bytes:
    files = {
        "install.json": json.dumps({"name": "Test Module", "version": version}),
        "catalog/controller/task.py": (
            f"from taskdesk import Controller\n{at_import}\n\n"
            f"class Task(Controller):\n    def index(self) -> None:\n"
            f"        self.log.write({message!r})\n"),
        "admin/controller/module/test_module.py": (
            "from taskdesk import Controller\n\n\nclass TestModule(Controller):\n"
            "    def install(self) -> None:\n"
            f"        self.tasks.add(code='my_task', action={ACTION!r}, args={{}})\n\n"
            "    def uninstall(self) -> None:\n        self.tasks.delete_by_code('my_task')\n\n"
            f"    def upgrade(self, from_version: str) -> None:\n        {upgrade}\n"),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.fixture
def hosts(database_url: str, tmp_path: Path) -> tuple[Cli, Cli]:
    a = Cli(tmp_path / "a", database_url, in_process=True)
    b = Cli(tmp_path / "b", database_url, in_process=True)
    a.ok("init")
    return a, b


def my_task(host: Cli) -> dict[str, object]:
    [task] = [task for task in host.tasks() if task["code"] == "my_task"]
    return task


def stored(url: str) -> tuple[str, str]:
    """The stored package's (version, sha256)."""
    store = open_store(url)
    try:
        stamp = store.packages.stamp(CODE)
    finally:
        store.close()
    assert stamp is not None
    return stamp.version, stamp.sha256


def change_stored_bytes(url: str, data: bytes, *, sha256: str | None = None) -> None:
    """What someone with the database's password might do by hand."""
    values: dict[str, object] = {"data": data}
    if sha256 is not None:
        values["sha256"] = sha256
    store = open_store(url)
    try:
        with store.engine.begin() as conn:
            conn.execute(update(package_table).where(package_table.c.code == CODE)
                         .values(**values))
    finally:
        store.close()


def refused_start(host: Cli) -> str:
    """`taskdesk start` on a host that refuses a stored package: its one line on stderr."""
    result = host.run("start")
    assert result.code == 0, result
    [line] = result.stderr.strip().splitlines()
    assert "extensions.package_refused" in line
    return line


def test_uploaded_and_installed_on_a_the_task_runs_on_b(hosts: tuple[Cli, Cli],
                                                        tmp_path: Path) -> None:
    a, b = hosts
    source = seed_zip(tmp_path / "upload")
    a.ok("extension", "upload", str(source))
    a.ok("extension", "install", CODE)
    assert not (b.home / "extensions" / CODE).exists()

    b.start()

    assert my_task(b)["status"] == "complete"
    assert "My task has successfully started!" in b.error_log.read_text()
    [listed] = b.json("extension", "list")
    sha = hashlib.sha256(source.read_bytes()).hexdigest()
    assert listed["package"]["sha256"] == sha
    assert listed["package"]["version"] == "1.0"
    assert listed["modules"] == [{"type": "module", "code": CODE, "installed": True}]


def test_installed_and_uninstalled_from_b_which_never_had_the_files(
    hosts: tuple[Cli, Cli], tmp_path: Path,
) -> None:
    a, b = hosts
    a.ok("extension", "upload", str(seed_zip(tmp_path / "upload")))

    b.ok("extension", "install", CODE)  # its hook child unpacks the stored package first
    assert my_task(a)["status"] == "pending"
    a.start()
    assert my_task(a)["status"] == "complete"
    b.ok("extension", "uninstall", CODE)
    assert [task for task in a.tasks() if task["code"] == "my_task"] == []


def test_an_upgrade_on_a_is_what_b_runs_next(hosts: tuple[Cli, Cli], tmp_path: Path) -> None:
    a, b = hosts
    a.ok("extension", "upload", str(seed_zip(tmp_path / "v1", message="one")))
    a.ok("extension", "install", CODE)
    b.start()
    assert b.error_log.read_text().splitlines()[-1].endswith("one")

    a.ok("extension", "upload", "--upgrade", str(seed_zip(tmp_path / "v2", version="2.0",
                                                          message="two")))
    assert stored(a.database_url)[0] == "2.0"
    b.add("again", ACTION)
    b.start()

    assert b.error_log.read_text().splitlines()[-1].endswith("two")
    [listed] = b.json("extension", "list")
    assert (listed["version"], listed["package"]["version"]) == ("2.0", "2.0")
    versions = list((b.home / "extensions" / ".versions").iterdir())
    assert len(versions) == 1  # the old copy is gone


def test_uninstall_and_remove_on_a_stop_b(hosts: tuple[Cli, Cli], tmp_path: Path) -> None:
    a, b = hosts
    a.ok("extension", "upload", str(seed_zip(tmp_path / "upload")))
    a.ok("extension", "install", CODE)
    b.start()
    a.ok("extension", "uninstall", CODE)
    store = open_store(a.database_url)  # a task added behind the allow-list's back
    try:
        [task] = store.add([NewTask(code="sneaked", action=ACTION, max_attempts=1)])
    finally:
        store.close()

    b.start()
    refused = b.task(task.task_id)
    assert refused["status"] == "failed"
    assert "is not installed" in str(refused["response"])

    b.ok("task", "delete", str(task.task_id))
    a.ok("extension", "remove", CODE)
    assert b.json("extension", "list") == []
    assert not (b.home / "extensions" / CODE).exists()
    assert list((b.home / "extensions" / ".versions").iterdir()) == []


@pytest.mark.hostile
def test_bytes_changed_by_hand_are_refused_with_one_line_and_never_imported(
    hosts: tuple[Cli, Cli], tmp_path: Path,
) -> None:
    a, b = hosts
    a.ok("extension", "upload", str(seed_zip(tmp_path / "upload")))
    a.ok("extension", "install", CODE)
    imported = tmp_path / "imported"
    evil = seed_bytes(message="evil", at_import=f"open({str(imported)!r}, 'w').write('x')")
    _, sha = stored(a.database_url)
    change_stored_bytes(a.database_url, evil)

    said = refused_start(b)

    task = my_task(b)
    response = str(task["response"])
    assert task["status"] == "failed"
    assert len(response.splitlines()) == 1
    assert f"extension {CODE!r}: its stored package does not match its hash" in response
    assert sha in response
    assert hashlib.sha256(evil).hexdigest() in response
    assert response.endswith(said.split("extensions.package_refused ", 1)[1])
    assert not imported.exists()
    assert not (b.home / "extensions" / CODE).exists()
    assert "evil" not in (b.error_log.read_text() if b.error_log.exists() else "")
    listing = b.run("extension", "list", "--json")  # one bad row never breaks a list
    assert listing.code == 0
    assert json.loads(listing.stdout) == []
    assert len(listing.stderr.strip().splitlines()) == 1
    assert not imported.exists()


@pytest.mark.hostile
def test_a_stored_zip_that_is_not_a_package_is_refused(hosts: tuple[Cli, Cli],
                                                       tmp_path: Path) -> None:
    a, b = hosts
    a.ok("extension", "upload", str(seed_zip(tmp_path / "upload")))
    a.ok("extension", "install", CODE)
    junk = b"\x1b[31m<b>not a zip</b>"
    change_stored_bytes(a.database_url, junk, sha256=hashlib.sha256(junk).hexdigest())

    refused_start(b)

    task = my_task(b)
    assert task["status"] == "failed"
    assert "its stored package (sha256" in str(task["response"])
    assert "is not a valid package" in str(task["response"])
    assert not (b.home / "extensions" / CODE).exists()


def test_a_copy_on_a_that_is_not_the_stored_one_is_replaced(hosts: tuple[Cli, Cli],
                                                            tmp_path: Path) -> None:
    """Existing local copies are never trusted over the database: B upgrades, A follows."""
    a, b = hosts
    a.ok("extension", "upload", str(seed_zip(tmp_path / "v1", message="one")))
    a.ok("extension", "install", CODE)
    b.ok("extension", "upload", "--upgrade", str(seed_zip(tmp_path / "v2", version="2.0",
                                                          message="two")))

    a.start()

    assert a.error_log.read_text().splitlines()[-1].endswith("two")


def test_a_failed_upgrade_keeps_the_stored_package(hosts: tuple[Cli, Cli],
                                                   tmp_path: Path) -> None:
    a, b = hosts
    a.ok("extension", "upload", str(seed_zip(tmp_path / "v1", message="one")))
    a.ok("extension", "install", CODE)
    before = stored(a.database_url)
    failing = tmp_path / "v2" / f"{CODE}.zip"
    failing.parent.mkdir()
    failing.write_bytes(seed_bytes(version="2.0", message="two",
                                   upgrade="raise RuntimeError('no')"))

    result = a.run("extension", "upload", "--upgrade", str(failing))

    assert result.code != 0
    assert "upgrade() failed: RuntimeError: no" in result.stderr
    assert stored(a.database_url) == before
    b.start()
    assert b.error_log.read_text().splitlines()[-1].endswith("one")


def test_the_same_version_uploaded_twice(hosts: tuple[Cli, Cli], tmp_path: Path) -> None:
    a, b = hosts
    source = seed_zip(tmp_path / "upload")
    a.ok("extension", "upload", str(source))
    before = stored(a.database_url)

    for host in (a, b):  # B has no copy yet: the database says it is uploaded
        result = host.run("extension", "upload", str(source))
        assert result.code != 0
        assert "already uploaded" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert stored(a.database_url) == before

    b.ok("extension", "upload", "--upgrade", str(source))
    assert stored(a.database_url) == before


@pytest.mark.hostile
def test_a_hostile_version_is_listed_literally(hosts: tuple[Cli, Cli], tmp_path: Path) -> None:
    a, b = hosts
    version = "1.0\x1b[31m<b>red</b>"
    a.ok("extension", "upload", str(seed_zip(tmp_path / "upload", version=version)))

    [listed] = b.json("extension", "list")
    assert listed["package"]["version"] == version
    table = b.ok("extension", "list")
    assert "\x1b[31m" not in table


def test_a_copy_from_before_packages_were_stored_is_published(hosts: tuple[Cli, Cli],
                                                              tmp_path: Path) -> None:
    """An extension uploaded before migration 0016: files and a kept zip on A, no row."""
    a, b = hosts
    a.ok("extension", "upload", str(seed_zip(tmp_path / "upload")))
    a.ok("extension", "install", CODE)
    store = open_store(a.database_url)
    try:
        store.packages.delete(CODE)
    finally:
        store.close()
    for marker in (a.home / "extensions" / ".sha256").iterdir():
        marker.unlink()
    assert a.json("extension", "list")[0]["package"] is not None  # A's list published it

    b.start()

    assert my_task(b)["status"] == "complete"


@pytest.mark.slow
def test_a_real_start_process_on_b_runs_the_task(hosts: tuple[Cli, Cli],
                                                 tmp_path: Path) -> None:
    a, b = hosts
    a.ok("extension", "upload", str(seed_zip(tmp_path / "upload")))
    a.ok("extension", "install", CODE)

    b.real_process().ok("start")

    assert my_task(b)["status"] == "complete"
    assert "My task has successfully started!" in b.error_log.read_text()


def test_a_long_lived_desk_on_b_loads_a_new_generation_after_an_upgrade_on_a(
    hosts: tuple[Cli, Cli], tmp_path: Path,
) -> None:
    a, b = hosts
    a.ok("extension", "upload", str(seed_zip(tmp_path / "v1", message="one")))
    a.ok("extension", "install", CODE)
    desk = Taskdesk(database_url=b.database_url, home=b.home, allowed_actions=("tests",))
    try:
        run_due(desk)
        first = desk.loader.load(CODE, "catalog", "task")
        a.ok("extension", "upload", "--upgrade", str(seed_zip(tmp_path / "v2", version="2.0",
                                                              message="two")))
        desk.tasks.add("again", ACTION)
        run_due(desk)
        second = desk.loader.load(CODE, "catalog", "task")
    finally:
        desk.close()

    lines = b.error_log.read_text().splitlines()
    assert lines[-2].endswith("one")
    assert lines[-1].endswith("two")
    assert first.__name__ != second.__name__  # another import generation
