"""taskdesk.contrib.flask: settings from app.config, the database of Flask-SQLAlchemy, enqueue
in db.session's transaction (on SQLite and PostgreSQL), tasks run in the app's context, and
`flask taskdesk …` working with the app's desk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, current_app
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from taskdesk.contrib.flask import Taskdesk
from taskdesk.errors import ConfigError


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
desk = Taskdesk()


class Note(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "flask_extension_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str]


@desk.task
def note_app_name(text: str) -> str:
    """Runs in the app's context: it reaches current_app and db.session."""
    db.session.add(Note(text=f"{current_app.name}: {text}"))
    db.session.commit()
    return current_app.name


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


def flask_app(tmp_path: Path, **config: Any) -> Flask:
    app = Flask("shop", instance_path=str(tmp_path / "instance"))
    app.config.update(config)
    return app


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app whose Flask-SQLAlchemy and desk share the test's database (SQLite or
    PostgreSQL), with the app's table made."""
    app = flask_app(tmp_path, SQLALCHEMY_DATABASE_URI=database_url)
    db.init_app(app)
    desk.init_app(app)
    with app.app_context():
        db.create_all()
    yield app
    desk.close()
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def notes(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Note.text).order_by(Note.id)))


def test_an_enqueue_in_the_session_commits_and_rolls_back_with_it(app: Flask) -> None:
    with app.app_context():
        db.session.add(Note(text="kept"))
        kept = desk.in_session(note_app_name).enqueue(text="kept").task_id
        db.session.commit()
        db.session.add(Note(text="dropped"))
        desk.in_session(note_app_name).enqueue(text="dropped")
        db.session.rollback()

    assert notes(app) == ["kept"]
    assert [task.task_id for task in desk.tasks.list_tasks()] == [kept]


def test_using_the_scoped_db_session_itself_is_its_current_sessions_transaction(
        app: Flask) -> None:
    """`db.session` is a scoped_session: `using(connection=db.session)` means the session
    it stands for, as in_session does."""
    with app.app_context():
        db.session.add(Note(text="kept"))
        kept = note_app_name.using(connection=db.session).enqueue(text="kept").task_id
        db.session.commit()
        note_app_name.using(connection=db.session).enqueue(text="dropped")
        db.session.rollback()

    assert [task.task_id for task in desk.tasks.list_tasks()] == [kept]


def test_tasks_run_in_the_apps_context(app: Flask) -> None:
    with app.app_context():
        desk.in_session(note_app_name).enqueue(text="hello")
        db.session.commit()

    desk.runner().drain()

    assert notes(app) == ["shop: hello"]
    assert desk.tasks.list_tasks()[0].response == "shop"


def test_the_database_is_flask_sqlalchemys_as_its_engine_resolves_it(tmp_path: Path) -> None:
    """Flask-SQLAlchemy puts a relative SQLite file in the instance folder: so does taskdesk."""
    app = flask_app(tmp_path, SQLALCHEMY_DATABASE_URI="sqlite:///shop.db")
    db.init_app(app)
    desk.init_app(app)

    assert desk.settings.database_url == f"sqlite:///{tmp_path / 'instance' / 'shop.db'}"
    assert desk.settings.home == tmp_path / "instance" / "taskdesk"


def test_settings_come_from_the_apps_config(tmp_path: Path) -> None:
    app = flask_app(tmp_path, TASKDESK_DATABASE_URL=f"sqlite:///{tmp_path / 'own.db'}",
                    SQLALCHEMY_DATABASE_URI="sqlite:///shop.db", TASKDESK_MAX_ATTEMPTS=7,
                    TASKDESK_ALLOWED_ACTIONS=["shop.jobs", "reports"],
                    TASKDESK_METRICS_PUBLIC=True, TASKDESK_HOME=str(tmp_path / "data"))
    db.init_app(app)
    desk.init_app(app)

    assert desk.settings.database_url == f"sqlite:///{tmp_path / 'own.db'}"
    assert desk.settings.max_attempts == 7
    assert desk.settings.allowed_actions == ("shop.jobs", "reports")
    assert desk.settings.metrics_public is True
    assert desk.settings.home == tmp_path / "data"
    assert app.extensions["taskdesk"] is desk


def test_without_flask_sqlalchemy_the_uri_is_taken_as_written(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'written.db'}"
    desk.init_app(flask_app(tmp_path, SQLALCHEMY_DATABASE_URI=url))

    assert desk.settings.database_url == url


def test_a_bad_setting_in_the_config_is_one_clear_error(tmp_path: Path) -> None:
    before = desk.settings

    with pytest.raises(ConfigError, match="TASKDESK_MAX_ATTEMPTS"):
        desk.init_app(flask_app(tmp_path, TASKDESK_MAX_ATTEMPTS="many"))

    assert desk.settings == before


def test_in_session_without_flask_sqlalchemy_says_so(tmp_path: Path) -> None:
    app = flask_app(tmp_path)
    desk.init_app(app)

    with app.app_context(), pytest.raises(ConfigError, match="Flask-SQLAlchemy"):
        desk.in_session(note_app_name)


def test_flask_taskdesk_runs_the_taskdesk_command_with_the_apps_desk(app: Flask) -> None:
    with app.app_context():
        task_id = desk.in_session(note_app_name).enqueue(text="listed").task_id
        db.session.commit()
    cli = app.test_cli_runner()

    listed = cli.invoke(args=["taskdesk", "task", "list", "--json"])
    missing = cli.invoke(args=["taskdesk", "task", "show", "999999"])

    assert listed.exit_code == 0, listed.output
    assert f'"task_id": {task_id}' in listed.output
    assert missing.exit_code != 0
    assert missing.output.count("error:") == 1
    assert "Traceback" not in missing.output


def test_flask_taskdesk_needs_a_desk_it_can_import(tmp_path: Path) -> None:
    """A desk with no task in a module (so no import path) is refused, by name."""
    lone = Taskdesk()
    app = flask_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'lone.db'}")
    lone.init_app(app)

    refused = app.test_cli_runner().invoke(args=["taskdesk", "task", "list"])

    assert refused.exit_code == 1
    assert "cannot find this app's desk" in refused.output


def test_the_whole_command_is_there(tmp_path: Path) -> None:
    app = flask_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'help.db'}")
    desk.init_app(app)

    shown = app.test_cli_runner().invoke(args=["taskdesk", "--help"])

    assert shown.exit_code == 0
    assert {"worker", "start", "serve", "task", "user"} <= set(shown.output.split())
