"""The shop's tasks. A worker runs them with the app's context pushed, so they use
`db.session` as a view does:

    flask --app flask_shop taskdesk worker
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask_shop.extensions import db, desk
from flask_shop.models import Order


@desk.task(max_attempts=5)
def send_receipt(order_id: int) -> str:
    """Stands in for an email: the order is marked as having had its receipt."""
    order = db.session.get(Order, order_id)
    if order is None:
        return f"order {order_id} is gone: no receipt"
    order.receipt_sent_at = datetime.now(UTC)
    db.session.commit()
    return f"receipt for order {order_id} sent"
