"""The shop's promises: an order and its receipt's task commit together or not at all, the
worker sends the receipt, and the shop's staff (only they) see taskdesk's admin at /tasks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from taskdesk import Taskdesk

from fastapi_shop.db import Session
from fastapi_shop.models import Order
from fastapi_shop.tasks import send_receipt


def order_count() -> int:
    with Session() as session:
        return session.scalar(select(func.count()).select_from(Order)) or 0


def test_an_order_and_its_task_commit_together(client: TestClient, desk: Taskdesk) -> None:
    placed = client.post("/orders", json={"product": "widget", "quantity": 2})

    assert placed.status_code == 201
    task = desk.tasks.get(placed.json()["task_id"])
    assert (task.action, task.args, task.status) == (
        send_receipt.name, {"order_id": placed.json()["order_id"]}, "pending")


def test_a_rolled_back_order_leaves_no_task(client: TestClient, desk: Taskdesk) -> None:
    refused = client.post("/orders", json={"product": "widget", "quantity": 4})  # 3 in stock

    assert refused.status_code == 409
    assert order_count() == 0
    assert desk.tasks.list_tasks() == []


def test_the_worker_sends_the_receipt(client: TestClient, desk: Taskdesk) -> None:
    order_id = client.post("/orders", json={"product": "widget", "quantity": 1}).json()["order_id"]
    assert client.get(f"/orders/{order_id}").json()["receipt_sent"] is False

    desk.runner().drain()  # what `taskdesk --app fastapi_shop.tasks:desk worker` does

    assert client.get(f"/orders/{order_id}").json()["receipt_sent"] is True


def test_staff_see_the_admin_and_change_things_with_its_csrf_token(client: TestClient,
                                                                   desk: Taskdesk) -> None:
    task_id = client.post("/orders", json={"product": "widget", "quantity": 1}).json()["task_id"]
    client.post("/login", data={"name": "alice", "password": "alice-password"})

    page = client.get(f"/tasks/tasks/{task_id}")
    assert page.status_code == 200
    assert "alice · admin" in page.text
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
    assert token is not None
    assert client.post(f"/tasks/api/tasks/{task_id}/cancel").status_code == 403  # no token
    cancelled = client.post(f"/tasks/api/tasks/{task_id}/cancel",
                            headers={"X-CSRF-Token": token.group(1)})
    assert cancelled.status_code == 200
    assert desk.tasks.get(task_id).status == "cancelled"


def test_a_customer_meets_the_admins_own_login(client: TestClient) -> None:
    client.post("/login", data={"name": "bob", "password": "bob-password"})

    page = client.get("/tasks/tasks", follow_redirects=False)

    assert page.status_code == 303
    assert page.headers["location"] == "/tasks/login?next=%2Ftasks%2Ftasks"


def test_the_worker_command_sends_the_receipt(client: TestClient, desk: Taskdesk) -> None:
    """`taskdesk --app fastapi_shop.tasks:desk start` (the worker's run-once twin), a real
    process on the same database."""
    order_id = client.post("/orders", json={"product": "widget", "quantity": 1}).json()["order_id"]
    env = {**{key: value for key, value in os.environ.items() if not key.startswith("TASKDESK_")},
           "SHOP_DATABASE_URL": desk.settings.database_url,
           "TASKDESK_HOME": str(desk.settings.home)}

    subprocess.run([sys.executable, "-m", "taskdesk", "--app", "fastapi_shop.tasks:desk",
                    "start"], cwd=Path(__file__).parent, env=env, check=True,
                   capture_output=True, timeout=120)

    assert client.get(f"/orders/{order_id}").json()["receipt_sent"] is True
