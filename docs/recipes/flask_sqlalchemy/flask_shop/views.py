"""The shop's API: placing an order writes the order and its receipt's task in the request's
one transaction."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, request
from sqlalchemy import select

from flask_shop.extensions import db, desk
from flask_shop.models import Order, Product
from flask_shop.tasks import send_receipt

shop = Blueprint("shop", __name__)


@shop.post("/orders")
def place_order() -> tuple[dict[str, Any], int]:
    """The order and its task are committed together by db.session.commit(); if anything
    before it fails (here, too little stock), the rollback leaves neither."""
    body = request.get_json(force=True)
    quantity = int(body.get("quantity", 1))
    product = db.session.scalars(select(Product).where(Product.name == body.get("product"))
                                 ).one_or_none()
    if product is None or quantity < 1:
        abort(404 if product is None else 400)
    order = Order(product_id=product.id, quantity=quantity)
    db.session.add(order)
    db.session.flush()  # the order's id, for the task
    task = desk.in_session(send_receipt).enqueue(order_id=order.id)
    left = product.stock
    product.stock -= quantity
    if product.stock < 0:
        db.session.rollback()  # the order and its task go
        return {"error": f"only {left} left"}, 409
    db.session.commit()
    return {"order_id": order.id, "task_id": task.task_id}, 201


@shop.get("/orders/<int:order_id>")
def get_order(order_id: int) -> dict[str, Any]:
    order = db.get_or_404(Order, order_id)
    return {"order_id": order.id, "receipt_sent": order.receipt_sent_at is not None}
