"""What the numbers were measured on: CPU, versions, and how long the disk takes to sync
(every PostgreSQL commit waits for one WAL flush, so that latency bounds its throughput)."""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import time
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path

from sqlalchemy import text

from bench.databases import ADMIN_URL, admin_engine

FSYNC_SAMPLES = 100
BLOCK = b"\0" * 8192  # one PostgreSQL page
#: Server settings that decide how much a commit costs.
POSTGRES_SETTINGS = ("synchronous_commit", "fsync", "wal_sync_method", "autovacuum")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def sync_latency(folder: Path, samples: int = FSYNC_SAMPLES) -> float:
    """Median seconds of one 8 kB write + fdatasync in `folder`."""
    sync: Callable[[int], None] = getattr(os, "fdatasync", os.fsync)
    path = folder / "sync-probe"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    times = []
    try:
        for _ in range(samples):
            started = time.perf_counter()
            os.pwrite(descriptor, BLOCK, 0)
            sync(descriptor)
            times.append(time.perf_counter() - started)
    finally:
        os.close(descriptor)
        path.unlink()
    return statistics.median(times)


def postgres_server() -> str:
    """The server's version and commit settings; raises when it cannot be reached."""
    admin = admin_engine()
    try:
        with admin.connect() as conn:
            server = conn.execute(text("SHOW server_version")).scalar_one()
            rows = conn.execute(text("SELECT name, setting FROM pg_settings WHERE name = ANY("
                                     ":names)"), {"names": list(POSTGRES_SETTINGS)}).all()
    finally:
        admin.dispose()
    settings = {str(name): str(setting) for name, setting in rows}
    shown = ", ".join(f"{name}={settings.get(name, '?')}" for name in POSTGRES_SETTINGS)
    return f"PostgreSQL {server} at {ADMIN_URL}\n  server settings: {shown}"


def describe(backends: Sequence[str], server: str | None, syncs: Sequence[float],
             folder: str) -> list[str]:
    """`syncs`: sync_latency() before and after the run (it varies on shared disks)."""
    lines = [
        f"machine: {os.cpu_count()} cores ({cpu_model()}), {platform.platform()}",
        "disk: 8 kB write + fdatasync in {} takes {} ms (median of {}, before / after)".format(
            folder, " / ".join(f"{seconds * 1000:.2f}" for seconds in syncs), FSYNC_SAMPLES),
        f"python {platform.python_version()}, SQLAlchemy {version('sqlalchemy')}, "
        f"SQLite {sqlite3.sqlite_version}"
        + (f", psycopg {version('psycopg')}" if "postgres" in backends else ""),
    ]
    if server is not None:
        lines.append(server)
    return lines
