"""A small shop on Flask + Flask-SQLAlchemy that shares its database with taskdesk through
taskdesk's Flask extension (docs/recipes.md). Run it with

    flask --app flask_shop init-db        # the shop's tables and taskdesk's, and a product
    flask --app flask_shop run
    flask --app flask_shop taskdesk worker
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import click
from flask import Flask
from sqlalchemy import select

from flask_shop.extensions import db, desk
from flask_shop.models import Product

#: SQLite: a file in the app's instance folder. PostgreSQL: `postgresql+psycopg://user:pw@host/shop`
#: (psycopg 3, the driver taskdesk uses).
DEFAULT_DATABASE = "sqlite:///shop.db"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("SHOP_DATABASE_URL", DEFAULT_DATABASE)
    app.config.from_prefixed_env("SHOP")  # e.g. SHOP_TASKDESK_MAX_ATTEMPTS=5
    app.config.from_mapping(config or {})
    db.init_app(app)
    desk.init_app(app)  # after db: the same database

    from flask_shop import tasks  # noqa: F401 (registers the tasks)
    from flask_shop.views import shop

    app.register_blueprint(shop)
    app.cli.add_command(init_db_command)
    return app


def init_db() -> None:
    """The shop's tables, taskdesk's (its migrations), and a product in stock; idempotent."""
    db.create_all()
    desk.init()
    if db.session.scalar(select(Product).where(Product.name == "widget")) is None:
        db.session.add(Product(name="widget", stock=10))
        db.session.commit()


@click.command("init-db")
def init_db_command() -> None:
    """Create the shop's and taskdesk's tables."""
    init_db()
    click.echo("the shop's and taskdesk's tables are ready")
