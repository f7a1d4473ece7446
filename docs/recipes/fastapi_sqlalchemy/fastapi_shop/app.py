"""The shop's web app. Run it with

    uvicorn fastapi_shop.app:app

and the worker beside it with `taskdesk --app fastapi_shop.tasks:desk worker`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from starlette.middleware.sessions import SessionMiddleware
from taskdesk.web import admin_app

from fastapi_shop.db import Base, Session
from fastapi_shop.models import Order, Product
from fastapi_shop.staff import check_login, staff_member
from fastapi_shop.tasks import desk, send_receipt

SECRET_KEY = os.environ.get("SHOP_SECRET_KEY", "change-me: a long random text")


def init_db() -> None:
    """The shop's tables, then taskdesk's (its migrations); both are idempotent."""
    with Session() as session:
        Base.metadata.create_all(session.get_bind())
    desk.init()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    init_db()
    yield
    desk.close()


class OrderIn(BaseModel):
    product: str
    quantity: int = Field(gt=0)


class OrderOut(BaseModel):
    order_id: int
    task_id: int


app = FastAPI(lifespan=lifespan)
app.add_middleware(SessionMiddleware, secret_key=SECRET_KEY, same_site="lax")
app.mount("/tasks", admin_app(desk, authenticate=staff_member))


@app.post("/orders", status_code=201)
def place_order(order: OrderIn) -> OrderOut:
    """The order and its receipt's task commit together: if anything below fails (here,
    too little stock), the transaction rolls back and there is neither."""
    with Session.begin() as session:
        product = session.scalars(select(Product).where(Product.name == order.product)
                                  ).one_or_none()
        if product is None:
            raise HTTPException(404, f"no product {order.product!r}")
        row = Order(product_id=product.id, quantity=order.quantity)
        session.add(row)
        session.flush()  # the order's id, for the task
        task = send_receipt.using(connection=session).enqueue(order_id=row.id)
        product.stock -= order.quantity
        if product.stock < 0:
            raise HTTPException(409, f"only {product.stock + order.quantity} left")
        return OrderOut(order_id=row.id, task_id=task.task_id)  # committed: both, at once


@app.get("/orders/{order_id}")
def get_order(order_id: int) -> dict[str, object]:
    with Session() as session:
        order = session.get(Order, order_id)
        if order is None:
            raise HTTPException(404, "no such order")
        sent = order.receipt_sent_at
    return {"order_id": order_id, "receipt_sent": sent is not None}


LOGIN_FORM = """<!doctype html><title>Shop: log in</title>
<form method="post" action="/login"><input name="name" id="name" placeholder="name">
<input name="password" id="password" type="password" placeholder="password">
<button type="submit">Log in</button></form>"""


@app.get("/login", response_class=HTMLResponse)
def login_form() -> str:
    return LOGIN_FORM


@app.post("/login")
def login(request: Request, name: Annotated[str, Form()],
          password: Annotated[str, Form()]) -> RedirectResponse:
    if not check_login(name, password):
        raise HTTPException(401, "wrong name or password")
    request.session["user"] = name
    return RedirectResponse("/tasks/", status_code=303)


@app.post("/logout")
def logout(request: Request) -> RedirectResponse:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
