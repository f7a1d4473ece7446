"""How long a PostgreSQL session may outlive the host that opened it, derived from the lease.

A host that dies in the middle of a transaction (its link cut, its worker killed) leaves its
server sessions "idle in transaction", holding the row locks of the tasks it claimed: recovery
skips those rows (SKIP LOCKED) and no other runner can claim them, for as long as the server
keeps a dead TCP connection (two hours by default). So every connection the store opens asks,
as session settings sent with the connection (libpq `options`) and as libpq's own parameters:

- the server to end a session idle inside a transaction, and (runners only) a statement,
  after less than a lease — the runner's statements are short by design;
- both sides to probe a silent peer with TCP keepalives, and to give up on unacknowledged
  data (`tcp_user_timeout`), so that the server also notices a dead client that was idle.

The runner's sessions get the tight values: a dead runner's locks end within half a lease, so
its tasks are running elsewhere within about two leases (the lease itself, then the next
recovery). The admin's and the application's sessions (the main engine) run migrations, bulk
changes by filter and add_many, which may take longer than any lease: they get no
statement_timeout (the server's own setting stays), and end a transaction left idle after a
lease. A dead admin's statement still runs to its end on the server; its session is then idle
in its transaction and ended a lease later. Nothing here costs a round trip: the settings
travel with the connection's start-up packet.
"""

from __future__ import annotations

import math
from typing import Any

#: A runner's statement may take at least this long, however short the lease (a claim of a
#: large batch, a recovery pass, a prune chunk on a loaded server).
STATEMENT_FLOOR_SECONDS = 5.0
#: No limit is shorter than this: a session limit of 0 means "none" to PostgreSQL.
MIN_SECONDS = 1.0
KEEPALIVES_COUNT = 3  # unanswered probes before a peer counts as dead
#: Unacknowledged data (or a peer that stopped reading a large result) ends the connection
#: after a lease, never sooner than this: a busy but live client must not be cut off.
USER_TIMEOUT_FLOOR_SECONDS = 10.0


def runner_session(lease_seconds: float) -> dict[str, Any]:
    """libpq connect arguments for the runner's sessions (claims, heartbeats, finishes,
    recovery): idle in a transaction for half a lease ends the session, and so does a
    statement longer than half a lease (never less than STATEMENT_FLOOR_SECONDS)."""
    half = max(lease_seconds / 2, MIN_SECONDS)
    return _connect_args(lease_seconds, {
        "synchronous_commit": "off",
        "idle_in_transaction_session_timeout": _ms(half),
        "statement_timeout": _ms(max(half, STATEMENT_FLOOR_SECONDS)),
    })


def admin_session(lease_seconds: float) -> dict[str, Any]:
    """libpq connect arguments for the main engine (admin, application, migrations): a
    transaction left idle for a lease ends its session; statements are not limited."""
    return _connect_args(lease_seconds, {
        "idle_in_transaction_session_timeout": _ms(max(lease_seconds, MIN_SECONDS)),
    })


def listen_session(lease_seconds: float) -> dict[str, Any]:
    """libpq connect arguments for a worker's LISTEN connection: never in a transaction, but
    a dead listener that the server kept would hold back the notification queue."""
    return _connect_args(lease_seconds, {})


def _connect_args(lease_seconds: float, server: dict[str, str]) -> dict[str, Any]:
    """Both sides' keepalives: the first probe after a third of a lease of silence, then
    KEEPALIVES_COUNT probes a tenth of a lease apart; unacknowledged data for a lease (at
    least USER_TIMEOUT_FLOOR_SECONDS) ends the connection. The server's settings go in
    `options`, ours as libpq parameters."""
    idle = _whole_seconds(lease_seconds / 3)
    interval = _whole_seconds(lease_seconds / 10)
    user_timeout = _ms(max(lease_seconds, USER_TIMEOUT_FLOOR_SECONDS))
    server = {**server, "tcp_keepalives_idle": str(idle),
              "tcp_keepalives_interval": str(interval),
              "tcp_keepalives_count": str(KEEPALIVES_COUNT),
              "tcp_user_timeout": user_timeout}
    return {
        "options": " ".join(f"-c {name}={value}" for name, value in server.items()),
        "keepalives": 1,
        "keepalives_idle": idle,
        "keepalives_interval": interval,
        "keepalives_count": KEEPALIVES_COUNT,
        "tcp_user_timeout": int(user_timeout),
    }


def _ms(seconds: float) -> str:
    """Milliseconds, as PostgreSQL reads a time setting without a unit."""
    return str(math.ceil(seconds * 1000))


def _whole_seconds(seconds: float) -> int:
    """TCP keepalive times are whole seconds, at least one."""
    return max(1, math.ceil(seconds))
