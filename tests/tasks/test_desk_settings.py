"""What a review of the front door found: settings that must reach a background runner, a
closed desk that must not keep stale objects, and a script's tasks that no child can load."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import make_url

from taskdesk import Settings
from taskdesk.admin import Admin
from taskdesk.cli.context import Options
from taskdesk.errors import ConfigError
from taskdesk.testing import memory_desk


def test_a_database_url_object_keeps_its_password_for_the_child() -> None:
    settings = Settings(database_url=make_url("postgresql://u:secret@db/app"))  # type: ignore[arg-type]

    assert settings.database_url == "postgresql://u:secret@db/app"
    assert settings.to_env()["TASKDESK_DATABASE_URL"] == "postgresql://u:secret@db/app"
    assert Settings.from_env(settings.to_env()) == settings


def test_the_environment_and_flags_win_over_an_apps_settings_in_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, "tests.apps.pinned", raising=False)
    monkeypatch.setenv("TASKDESK_HOME", str(tmp_path / "from-env"))  # as a background child

    desk = Options().desk(app="tests.apps.pinned:desk")
    assert desk.settings.home == tmp_path / "from-env"

    monkeypatch.delitem(sys.modules, "tests.apps.pinned")
    flagged = Options(home=tmp_path / "flag").desk(app="tests.apps.pinned:desk")
    assert flagged.settings.home == tmp_path / "flag"


def test_a_closed_desk_builds_its_objects_again(tmp_path: Path) -> None:
    desk = memory_desk(home=tmp_path)
    desk.init()
    lifecycle = Admin(desk).lifecycle

    desk.close()
    desk.init()  # a SQLite file in tmp_path now

    assert Admin(desk).lifecycle is not lifecycle
    assert Admin(desk).lifecycle.store is desk.store
    desk.close()


def test_run_in_background_refuses_tasks_no_child_could_import(tmp_path: Path) -> None:
    desk = memory_desk(home=tmp_path)

    @desk.task(name="local.only")
    def local_only() -> None: ...

    with pytest.raises(ConfigError, match="could not find this application's tasks"):
        desk.run_in_background()
