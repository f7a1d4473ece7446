"""Extensions > Installer and Extensions > Extensions over HTTP: the seed's step 3 without a
browser (upload, install, my_task pending, Run Tasks' work, uninstall, remove)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx2 as httpx

from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from taskdesk.testing import run_due
from tests.web.conftest import Browser

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "test_module"


def upload(admin: Browser, path: Path, name: str | None = None,
           upgrade: bool | None = None) -> httpx.Response:
    with path.open("rb") as file:
        response: httpx.Response = admin.post(
            "/api/extensions/upload", headers={"X-CSRF-Token": admin.csrf},
            files={"file": (name or path.name, file, "application/zip")},
            data={} if upgrade is None else {"upgrade": str(upgrade).lower()})
    return response


def test_an_upgrade_through_the_installer_replaces_the_version(
        admin: Browser, desk: Taskdesk, tmp_path: Path) -> None:
    """As `extension upload --upgrade`: without the box ticked, a second version of an
    uploaded extension is refused and changes nothing; with it, it replaces the first."""
    first = versioned_package(desk, tmp_path / "one", "1.0.0")
    second = versioned_package(desk, tmp_path / "two", "1.1.0")
    assert upload(admin, first).status_code == 201
    assert admin.act("POST", "/api/extensions/test_module/install", json={}).status_code == 200

    refused = upload(admin, second, upgrade=False)
    assert refused.status_code == 400, refused.text
    assert "upload it as an upgrade" in refused.json()["detail"]
    assert admin.get("/api/extensions").json()[0]["version"] == "1.0.0"

    upgraded = upload(admin, second, upgrade=True)
    assert upgraded.status_code == 201, upgraded.text
    [extension] = admin.get("/api/extensions").json()
    assert (extension["version"], extension["package"]["version"]) == ("1.1.0", "1.1.0")
    assert 'name="upgrade"' in admin.get("/installer").text


def versioned_package(desk: Taskdesk, folder: Path, version: str) -> Path:
    """The seed's package at `version` (its install.json rewritten), zipped into `folder`."""
    source = folder / "test_module"
    shutil.copytree(EXAMPLE, source)
    manifest = json.loads((source / "install.json").read_text())
    (source / "install.json").write_text(json.dumps({**manifest, "version": version}))
    return Admin(desk).build_package(source, folder)


def test_the_seed_step_three_over_http(admin: Browser, desk: Taskdesk, tmp_path: Path) -> None:
    package = Admin(desk).build_package(EXAMPLE, tmp_path)
    uploaded = upload(admin, package)
    assert uploaded.status_code == 201, uploaded.text
    assert "test_module" in admin.get("/installer").text
    installed = admin.act("POST", "/api/extensions/test_module/install",
                           json={"module": "module/test_module"})
    assert installed.json()["modules"] == ["module/test_module"]
    tasks = admin.get("/api/tasks?code=my_task").json()["tasks"]
    assert [task["status"] for task in tasks] == ["pending"]
    assert "my_task" in admin.get("/extensions").text  # what the install added
    run_due(desk)
    assert "My task has successfully started!" in admin.get("/error-log").text
    uninstalled = admin.act("POST", "/api/extensions/test_module/uninstall", json={})
    assert uninstalled.status_code == 200
    assert admin.act("DELETE", "/api/extensions/test_module").status_code == 200
    assert admin.get("/api/extensions").json() == []
    assert [e["action"] for e in Admin(desk).audit.entries()[:4]] == [
        "extensions.remove", "extensions.uninstall", "extensions.install", "extensions.upload"]


def test_a_refused_package_says_why_and_changes_nothing(admin: Browser, desk: Taskdesk,
                                                        tmp_path: Path) -> None:
    bad = tmp_path / "evil.zip"
    bad.write_bytes(b"not a zip at all")
    response = upload(admin, bad, name="../../evil.zip")
    assert response.status_code == 400
    assert "zip" in response.json()["detail"]
    assert admin.get("/api/extensions").json() == []
    assert not (tmp_path.parent / "evil.zip").exists()


def test_removing_an_installed_extension_is_a_conflict(admin: Browser, desk: Taskdesk,
                                                       tmp_path: Path) -> None:
    upload(admin, Admin(desk).build_package(EXAMPLE, tmp_path))
    admin.act("POST", "/api/extensions/test_module/install", json={})
    response = admin.act("DELETE", "/api/extensions/test_module")
    assert response.status_code == 409
    assert "installed" in response.json()["detail"]
