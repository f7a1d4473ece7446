"""The shop's tasks, on taskdesk. `desk` is what the worker loads:

    taskdesk --app fastapi_shop.tasks:desk worker
"""

from __future__ import annotations

from datetime import UTC, datetime

from taskdesk import Taskdesk

from fastapi_shop.db import Session, database_url
from fastapi_shop.models import Order

desk = Taskdesk(database_url=database_url())  # the shop's own database


@desk.task(max_attempts=5)
def send_receipt(order_id: int) -> str:
    """Stands in for an email: the order is marked as having had its receipt."""
    with Session.begin() as session:
        order = session.get(Order, order_id)
        if order is None:
            return f"order {order_id} is gone: no receipt"
        order.receipt_sent_at = datetime.now(UTC)
    return f"receipt for order {order_id} sent"
