"""X-Forwarded-For is believed only from a trusted proxy (FORWARDED_ALLOW_IPS, loopback by
default) and only when every hop is an IP address: forged text neither lands in the audit's
From column nor gives each guess an address of its own that the throttle never saw."""

from __future__ import annotations

from pathlib import Path

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from taskdesk.accounts.throttle import FREE_FAILURES
from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from taskdesk.web import create_app
from taskdesk.web.proxies import parse_trusted
from tests.web.conftest import PASSWORD
from tests.web.served import ADMIN, serving
from tests.web.served import PASSWORD as SERVED_PASSWORD

pytestmark = pytest.mark.hostile


def _login_address(client: TestClient, desk: Taskdesk, forwarded: str) -> str | None:
    response = client.post("/login", data={"name": "admin", "password": PASSWORD},
                           headers={"X-Forwarded-For": forwarded}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return Admin(desk).audit.entries(limit=1)[0]["address"]


def test_only_a_trusted_proxys_ip_address_is_taken(app: FastAPI, desk: Taskdesk) -> None:
    with TestClient(app, client=("127.0.0.1", 50000)) as proxy:
        assert _login_address(proxy, desk, "203.0.113.9") == "203.0.113.9"
        assert _login_address(proxy, desk, "<b>forged</b>") == "127.0.0.1"
        assert _login_address(proxy, desk, "203.0.113.9, evil") == "127.0.0.1"
        assert _login_address(proxy, desk, "198.51.100.7, 127.0.0.1") == "198.51.100.7"
    with TestClient(app, client=("192.0.2.44", 50000)) as stranger:
        assert _login_address(stranger, desk, "203.0.113.9") == "192.0.2.44"
    trusting = create_app(desk, trusted_proxies=parse_trusted("192.0.2.0/24"))
    with TestClient(trusting, client=("192.0.2.44", 50000)) as proxy:
        assert _login_address(proxy, desk, "203.0.113.9") == "203.0.113.9"


def test_hsts_only_over_https_including_a_trusted_proxys_https(app: FastAPI) -> None:
    with TestClient(app, client=("127.0.0.1", 50000)) as plain:
        assert "strict-transport-security" not in plain.get("/login").headers
        behind = plain.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert behind.headers["strict-transport-security"].startswith("max-age=")
        assert "strict-transport-security" not in plain.get(
            "/login", headers={"X-Forwarded-Proto": "gopher"}).headers
    with TestClient(app, base_url="https://testserver") as secure:
        assert "strict-transport-security" in secure.get("/login").headers


def test_a_served_admin_keeps_forged_addresses_out(tmp_path: Path) -> None:
    """Through uvicorn, as `taskdesk serve` runs: its own proxy-header handling took any text."""
    with serving(tmp_path / "home") as served, httpx.Client(base_url=served.url,
                                                            timeout=30) as client:
        ok = client.post("/login", data={"name": ADMIN, "password": SERVED_PASSWORD},
                         headers={"X-Forwarded-For": "<script>x</script>"},
                         follow_redirects=False)
        assert ok.status_code == 303
        desk = Taskdesk(home=served.home)
        try:
            assert Admin(desk).audit.entries(limit=1)[0]["address"] == "127.0.0.1"
        finally:
            desk.close()
        statuses = [client.post("/login", data={"name": ADMIN, "password": "wrong guess"},
                                headers={"X-Forwarded-For": f"forged-{n}"}).status_code
                    for n in range(FREE_FAILURES + 2)]
        # One address: the throttle saw every guess (its first wait, a second, may end
        # between the last two on a slow machine, so either may be the refused one).
        assert 429 in statuses[FREE_FAILURES:], statuses
