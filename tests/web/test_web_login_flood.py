"""Parallel logins against the real app, on SQLite and PostgreSQL (the throttle's state is in
the database). Each password check is held open until the test lets it go, so the counts do
not depend on timing: 40 parallel guesses at one user get at most the free tries checked
(the wait was checked before the password and the failure counted after, so 28 of 40 were
checked); and parallel logins with unknown names never run more password checks at once
than TASKDESK_LOGIN_CHECKS (argon2id holds 64 MiB each: 20 of them took 1.4 GiB)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from taskdesk.accounts.passwords import Passwords
from taskdesk.accounts.throttle import FREE_FAILURES, LoginThrottle
from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from taskdesk.web import create_app
from tests.support import FakeClock
from tests.web.conftest import FAST_PASSWORDS, PASSWORD, ROLES

pytestmark = pytest.mark.hostile

GUESSES = 40
LOGINS = 20
BOUND = 60.0  # seconds the test waits for the answers that need no password check


class HeldPasswords(Passwords):
    """Counts checks, and the most running at once; each waits until `release` is set."""

    def __init__(self) -> None:
        super().__init__(FAST_PASSWORDS.hasher)
        self.release = threading.Event()
        self.checked = 0
        self.running = 0
        self.most = 0
        self._lock = threading.Lock()

    def verify(self, password_hash: str, password: str) -> bool:
        with self._lock:
            self.checked += 1
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            self.release.wait(BOUND)
            return super().verify(password_hash, password)
        finally:
            with self._lock:
                self.running -= 1


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


@pytest.fixture
def held(database_url: str, tmp_path: Path) -> Iterator[tuple[Taskdesk, HeldPasswords]]:
    desk = Taskdesk(home=tmp_path / "home", database_url=database_url, login_checks=64)
    Admin(desk).accounts.passwords = FAST_PASSWORDS
    for role in ROLES:
        Admin(desk).accounts.add_user(role, PASSWORD, role=role)
    passwords = HeldPasswords()
    Admin(desk).accounts.passwords = passwords
    yield desk, passwords
    passwords.release.set()
    desk.close()


def _flood(client: TestClient, passwords: HeldPasswords, forms: list[dict[str, str]],
           headers: list[dict[str, str]], answered_unchecked: int) -> Counter[int]:
    """Post every form at once; let the checks go once the others are answered."""
    with ThreadPoolExecutor(len(forms)) as pool:
        calls: list[Future[object]] = [pool.submit(client.post, "/login", data=form,
                                                   headers=head)
                                       for form, head in zip(forms, headers, strict=True)]
        done: set[Future[object]] = set()
        while len(done) < answered_unchecked:
            finished, _ = wait(set(calls) - done, timeout=BOUND, return_when="FIRST_COMPLETED")
            if not finished:
                break  # nothing more answers while the checks are held
            done |= finished
        passwords.release.set()
    return Counter(call.result().status_code for call in calls)  # type: ignore[attr-defined]


def test_parallel_guesses_get_at_most_the_free_tries_checked(
        held: tuple[Taskdesk, HeldPasswords]) -> None:
    desk, passwords = held
    app = create_app(desk, throttle=LoginThrottle(lambda: desk.store, clock=FakeClock()))
    with TestClient(app) as client:
        statuses = _flood(client, passwords,
                          [{"name": "admin", "password": "wrong"}] * GUESSES,
                          [{}] * GUESSES, answered_unchecked=GUESSES - FREE_FAILURES)
    assert passwords.checked == FREE_FAILURES
    assert statuses == {401: FREE_FAILURES, 429: GUESSES - FREE_FAILURES}


def test_parallel_logins_run_at_most_the_allowed_password_checks(
        held: tuple[Taskdesk, HeldPasswords], tmp_path: Path) -> None:
    desk, passwords = held
    limited = Taskdesk(home=desk.settings.home, database_url=desk.settings.database_url,
                       login_checks=2)
    Admin(limited).accounts.passwords = passwords
    try:
        with TestClient(create_app(limited), client=("127.0.0.1", 40000)) as proxy:
            statuses = _flood(proxy, passwords,
                              [{"name": f"nobody{n}", "password": "guess"}
                               for n in range(LOGINS)],
                              [{"X-Forwarded-For": f"198.51.100.{n}"} for n in range(LOGINS)],
                              answered_unchecked=LOGINS - 2)
    finally:
        limited.close()
    assert passwords.most <= 2
    assert statuses == {401: 2, 503: LOGINS - 2}


def test_every_web_process_counts_the_same_failures(
        held: tuple[Taskdesk, HeldPasswords]) -> None:
    desk, passwords = held
    passwords.release.set()
    clock = FakeClock()
    other = Taskdesk(home=desk.settings.home, database_url=desk.settings.database_url)
    try:
        first = create_app(desk, throttle=LoginThrottle(lambda: desk.store, clock=clock))
        second = create_app(other, throttle=LoginThrottle(lambda: other.store, clock=clock))
        with TestClient(first) as one, TestClient(second) as two:
            for _ in range(FREE_FAILURES):
                assert one.post("/login", data={"name": "admin",
                                                "password": "wrong"}).status_code == 401
            assert two.post("/login", data={"name": "admin",
                                            "password": PASSWORD}).status_code == 429
    finally:
        other.close()
