"""The shop's promises: an order and its receipt's task commit together or not at all, and
the worker (in the app's context) sends the receipt; `flask taskdesk …` sees the same tasks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from flask_shop.extensions import db, desk
from flask_shop.models import Order
from flask_shop.tasks import send_receipt


def order(client: FlaskClient, quantity: int) -> tuple[int, dict[str, Any]]:
    """POST /orders for `quantity` widgets: the status and the JSON answer."""
    answer = client.post("/orders", json={"product": "widget", "quantity": quantity})
    body = answer.get_json()
    assert isinstance(body, dict)
    return answer.status_code, body


def receipt_sent(client: FlaskClient, order_id: int) -> bool:
    body = client.get(f"/orders/{order_id}").get_json()
    assert isinstance(body, dict)
    return bool(body["receipt_sent"])


def test_an_order_and_its_task_commit_together(client: FlaskClient) -> None:
    status, placed = order(client, 2)

    assert status == 201
    task = desk.tasks.get(placed["task_id"])
    assert (task.action, task.args, task.status) == (
        send_receipt.name, {"order_id": placed["order_id"]}, "pending")


def test_a_rolled_back_order_leaves_no_task(app: Flask, client: FlaskClient) -> None:
    status, refused = order(client, 11)  # 10 in stock

    assert (status, refused) == (409, {"error": "only 10 left"})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert desk.tasks.list_tasks() == []


def test_the_worker_sends_the_receipt_in_the_apps_context(client: FlaskClient) -> None:
    order_id = order(client, 1)[1]["order_id"]
    assert receipt_sent(client, order_id) is False

    stats = desk.runner().drain()  # what `flask --app flask_shop taskdesk worker` does

    assert stats.by_status == {"complete": 1}
    assert receipt_sent(client, order_id) is True


def test_flask_taskdesk_is_the_taskdesk_command_on_the_apps_database(
        app: Flask, client: FlaskClient) -> None:
    task_id = order(client, 1)[1]["task_id"]

    listed = app.test_cli_runner().invoke(args=["taskdesk", "task", "list", "--json"])

    assert listed.exit_code == 0, listed.output
    assert f'"task_id": {task_id}' in listed.output


def test_the_worker_command_sends_the_receipt(app: Flask, client: FlaskClient,
                                             tmp_path: Path) -> None:
    """`flask --app flask_shop taskdesk start` (the worker's run-once twin), a real process."""
    order_id = order(client, 1)[1]["order_id"]
    env = {**{key: value for key, value in os.environ.items() if not key.startswith("TASKDESK_")},
           "SHOP_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "TASKDESK_HOME": str(tmp_path / "taskdesk")}

    subprocess.run([sys.executable, "-m", "flask", "--app", "flask_shop", "taskdesk", "start"],
                   cwd=Path(__file__).parent, env=env, check=True, capture_output=True,
                   timeout=120)

    assert receipt_sent(client, order_id) is True
