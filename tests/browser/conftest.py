"""The browser tests drive Debian's Chromium (/usr/bin/chromium) with Playwright for Python
against a real `taskdesk serve`. Without Chromium they skip with the reason;
TASKDESK_REQUIRE_BROWSER=1 (set by .ci/run) makes that a failure. No browser is downloaded."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.web.served import free_port, wait_until_healthy

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking"]
ROOT = Path(__file__).resolve().parents[2]
OUTPUT = Path(os.environ.get("TASKDESK_TEST_OUTPUT", ROOT / "test-output")) / "browser"
ADMIN, PASSWORD = "admin", "browser-test-password"


def require_browser() -> None:
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing (apt-get install -y chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed (pip install playwright)"
    if problem is None:
        return
    if os.environ.get("TASKDESK_REQUIRE_BROWSER") == "1":
        pytest.fail(f"the browser test cannot run: {problem}")
    pytest.skip(f"BROWSER TEST SKIPPED: {problem}")


@dataclass(frozen=True)
class Server:
    url: str
    home: Path
    env: dict[str, str]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """`taskdesk init --admin-user` then `taskdesk serve` on a free loopback port, as a user
    starts them; the server is ended by its pid."""
    require_browser()
    env = {**os.environ, "TASKDESK_HOME": str(tmp_path / "home"),
           "TASKDESK_ADMIN_PASSWORD": PASSWORD, "TASKDESK_DATABASE_URL": "",
           "TASKDESK_ALLOWED_ACTIONS": "tests"}
    subprocess.run([sys.executable, "-m", "taskdesk", "init", "--admin-user", ADMIN],
                   env=env, check=True, cwd=tmp_path, capture_output=True)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "taskdesk", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process)
        yield Server(url=url, home=tmp_path / "home", env=env)
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ends a process this test started, by its pid: terminated, killed after 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
