"""A client may not hold a connection by sending slowly (a real `taskdesk serve`, as uvicorn
reads the socket): a request head trickled a byte at a time is cut off after
TASKDESK_READ_TIMEOUT_SECONDS, and a body trickled slower than the whole-body deadline
(TASKDESK_BODY_TIMEOUT_SECONDS) is answered 408. Each byte comes faster than either deadline,
so no idle timer can be what ends it; the test gives up after BOUND seconds."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from tests.web.served import Served, serving

pytestmark = pytest.mark.hostile

BOUND = 30.0  # seconds of trickling before the test gives up: far past the deadlines
TRICKLE = 0.4  # seconds between bytes


def _trickle(served: Served, start: bytes, then: bytes) -> bytes:
    """Send `start`, then `then` a byte at a time; return what the server said by the time it
    closed the connection (or b"" ... with the connection still open after BOUND)."""
    with socket.create_connection((served.host, served.port), timeout=BOUND) as sock:
        sock.sendall(start)
        sock.settimeout(TRICKLE)
        answer = b""
        deadline = time.monotonic() + BOUND
        for byte in then:
            if time.monotonic() > deadline:
                raise AssertionError(f"the server still read after {BOUND} s: {answer!r}")
            try:
                sock.sendall(bytes([byte]))
                chunk = sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:  # reset: the server closed it
                return answer or b"closed"
            if not chunk:
                return answer or b"closed"
            answer += chunk
        raise AssertionError(f"the server read the whole slow request: {answer!r}")


def test_slow_heads_and_slow_bodies_are_cut_off(tmp_path: Path) -> None:
    with serving(tmp_path / "home", TASKDESK_READ_TIMEOUT_SECONDS="1",
                 TASKDESK_BODY_TIMEOUT_SECONDS="1.5") as served:  # both > TRICKLE
        head = _trickle(served, b"GET /healthz HTTP/1.1\r\nHost: x\r\n",
                        b"X-Slow: " + b"a" * 1000)
        assert head.startswith(b"HTTP/1.1 408") or head == b"closed", head
        body = _trickle(served, b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                b"application/x-www-form-urlencoded\r\nContent-Length: 2000"
                                b"\r\n\r\nname=", b"a" * 1995)
        assert body.startswith(b"HTTP/1.1 408"), body
        assert b"too slowly" in body
