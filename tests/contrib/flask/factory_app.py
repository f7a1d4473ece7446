"""An app that exists only once its factory has run, for the tests that start
`flask --app tests.contrib.flask.factory_app taskdesk …` as a real process: a child process
that merely imported this module would find no app (and so no app context)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from flask import Flask, current_app
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from taskdesk.contrib.flask import Taskdesk

#: The environment create_app reads (the tests set it for their process and the one they start).
DATABASE = "FACTORY_DATABASE_URL"
INSTANCE = "FACTORY_INSTANCE_PATH"
NAME = "factory_shop"


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
desk = Taskdesk()


class Visit(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "flask_factory_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str]


@desk.task(timeout=30)
def visit_in_a_child(text: str) -> str:
    """Runs in a child process (its timeout): it needs the factory's app for its context."""
    db.session.add(Visit(text=f"{current_app.name}: {text}"))
    db.session.commit()
    return current_app.name


@desk.task
def leave_a_thread() -> str:
    """Leaves a non-daemon thread that would keep its process alive for ten minutes."""
    threading.Thread(target=time.sleep, args=(600,), name="left-behind").start()
    return "left"


def create_app() -> Flask:
    app = Flask(NAME, root_path=str(Path(__file__).parent), instance_path=os.environ[INSTANCE])
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ[DATABASE]
    db.init_app(app)
    desk.init_app(app)
    return app


def bare_app() -> Flask:
    """An app without the extension."""
    return Flask("bare", root_path=str(Path(__file__).parent))
