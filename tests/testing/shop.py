"""The new user's application, reduced: a SQLAlchemy app whose orders and tasks share one
database, and whose invoice task has a timeout. Loaded as `tests.testing.shop:desk`, so that
the child processes of its timed task (and a `taskdesk worker`) can import it."""

from __future__ import annotations

import os

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from taskdesk import Taskdesk

desk = Taskdesk()


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "shop_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200))


@desk.task(name="shop.receipt")
def send_receipt(order_id: int) -> str:
    return f"receipt for order {order_id}"


@desk.task(name="shop.invoice", timeout=60, max_attempts=1)
def render_invoice(order_id: int) -> str:
    """Runs in a child process, which opens the desk's database again: it says which process
    it was and how many invoices that database holds."""
    invoices = desk.tasks.count(action="shop.invoice")
    return f"invoice {order_id} by {os.getpid()}, invoices: {invoices}"


@desk.task(name="shop.refuse", max_attempts=1)
def refuse(order_id: int) -> None:
    raise ValueError(f"order {order_id} is refused")


def place_order(session: Session, email: str) -> Order:
    """The application's own code: the order and its receipt in one transaction."""
    order = Order(email=email)
    session.add(order)
    session.flush()
    send_receipt.using(connection=session).enqueue(order_id=order.id)
    return order
