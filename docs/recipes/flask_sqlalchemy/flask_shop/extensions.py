"""The app's extensions, made once and bound to an app by create_app (Flask's pattern)."""

from __future__ import annotations

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase
from taskdesk.contrib.flask import Taskdesk


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
desk = Taskdesk()  # settings from app.config (TASKDESK_*); the database is db's
