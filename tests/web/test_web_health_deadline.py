"""/healthz answers within its deadline whatever the database does: when PostgreSQL stops
answering (a relay on loopback that stops forwarding, as when packets are dropped), every
health request — more of them than the pool has connections — gets its 503 instead of
waiting out the outage. And the anonymous learn nothing of the database (its URL, a driver's
message) from /healthz or /metrics; a logged-in caller reads the detail."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from taskdesk.app import Taskdesk
from taskdesk.web import create_app
from tests.web.conftest import PASSWORD, make_desk
from tests.web.freezer import relay_to

pytestmark = pytest.mark.hostile

CALLERS = 8  # more than the pool's 5 connections
BOUND = 30.0  # seconds the test waits for the answers: far past the 1 s deadline


def test_healthz_answers_in_time_while_postgresql_does_not_answer(postgres_url: str,
                                                                  tmp_path: Path) -> None:
    where = urlsplit(postgres_url)
    with relay_to(where.hostname or "127.0.0.1", where.port or 5432) as relay:
        url = make_url(postgres_url).set(host="127.0.0.1", port=relay.port)
        desk = Taskdesk(home=tmp_path / "home", database_url=url,
                        health_timeout_seconds=1)
        try:
            with TestClient(create_app(desk)) as client:
                assert client.get("/healthz").status_code == 200
                relay.frozen.set()
                with ThreadPoolExecutor(CALLERS) as pool:
                    calls = [pool.submit(client.get, "/healthz") for _ in range(CALLERS)]
                    done, waiting = wait(calls, timeout=BOUND)
                    relay.frozen.clear()  # lets whatever still waits finish
                assert not waiting, f"{len(waiting)} of {CALLERS} /healthz calls still waited"
                assert {call.result().status_code for call in done} == {503}
                relay.frozen.clear()
        finally:
            desk.close()


def test_the_anonymous_get_a_generic_detail_when_the_database_is_down(tmp_path: Path) -> None:
    broken = Taskdesk(home=tmp_path / "home", metrics_public=True,
                      database_url="postgresql://spy:hunter2@127.0.0.1:1/secretdb")
    with TestClient(create_app(broken)) as client:
        for path in ("/healthz", "/metrics"):
            response = client.get(path)
            assert response.status_code == 503, path
            for secret in ("127.0.0.1", "secretdb", "spy", "hunter2", "psycopg", "connect"):
                assert secret not in response.text, (path, secret)


def test_a_logged_in_caller_reads_why_the_installation_is_not_fit(tmp_path: Path) -> None:
    desk = make_desk(tmp_path / "home")
    try:
        app = create_app(desk)
        with TestClient(app) as admin, TestClient(app) as anonymous:
            admin.post("/login", data={"name": "admin", "password": PASSWORD})
            database = make_url(desk.settings.database_url).database
            with sqlite3.connect(str(database)) as conn:  # the schema falls behind
                conn.execute("UPDATE alembic_version SET version_num = '0001'")
            told = admin.get("/healthz")
            assert told.status_code == 503
            assert "0001" in told.json()["detail"]
            hidden = anonymous.get("/healthz")
            assert hidden.status_code == 503
            assert "0001" not in hidden.json()["detail"]
    finally:
        desk.close()
