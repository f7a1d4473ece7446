"""`python -m fastapi_shop init` creates the tables and a product; `python -m fastapi_shop
add-user NAME PASSWORD [ROLE]` adds a user (ROLE: taskdesk's admin, operator or viewer)."""

from __future__ import annotations

import sys

from sqlalchemy import select

from fastapi_shop.app import init_db
from fastapi_shop.db import Session
from fastapi_shop.models import Product
from fastapi_shop.staff import add_user


def main(argv: list[str]) -> None:
    command, *rest = argv or ["help"]
    if command == "init":
        init_db()
        with Session.begin() as session:
            if session.scalar(select(Product).where(Product.name == "widget")) is None:
                session.add(Product(name="widget", stock=10))
    elif command == "add-user" and len(rest) in (2, 3):
        add_user(*rest)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
