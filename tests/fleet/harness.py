"""The multi-host harness (issue 16, item 3): a private network of namespaces, a scratch
PostgreSQL cluster on the database host, and real `taskdesk worker` processes on the worker
hosts, each with its own TASKDESK_HOME and its own host name (`unshare --uts` + `hostname`).
Used by tests/fleet and bench/fleet.py. What runs is counted as the chaos test counts it:
tests.chaos.handlers:Record records each execution in the database (tests/chaos/verdict.py)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from taskdesk import Taskdesk
from taskdesk.models.tasks import NewTask
from tests.chaos.harness import Database
from tests.fleet.cluster import Cluster
from tests.fleet.network import Network, remove_leftovers

REPO = Path(__file__).resolve().parents[2]
ACTION = "tests.chaos.handlers:Record"
STOP_SECONDS = 30.0
SETTINGS = {"TASKDESK_ALLOWED_ACTIONS": "tests", "TASKDESK_POLL_SECONDS": "0.1",
            "TASKDESK_RETRY_DELAY_SECONDS": "0.2"}
CLEARED = ("task", "task_log", "runner", "schedule", "chaos_execution")


@dataclass
class Worker:
    host: str  # its host name, which its worker_id starts with
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


@dataclass
class Fleet:
    """The network, the cluster, the hosts' homes, and the workers started on them."""

    network: Network
    cluster: Cluster
    root: Path
    db: Database = field(init=False)
    workers: list[Worker] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.db = Database(self.cluster.socket_url)

    @property
    def hosts(self) -> list[str]:
        """The worker hosts' names (host1, …), also their namespaces' suffixes."""
        return [f"host{n}" for n in range(1, len(self.network.hosts) + 1)]

    def namespace(self, host: str) -> str:
        return self.network.hosts[self.hosts.index(host)]

    def env(self, host: str, **settings: str) -> dict[str, str]:
        home = self.root / host
        home.mkdir(exist_ok=True)
        return {**os.environ, **SETTINGS, **settings, "TASKDESK_HOME": str(home),
                "TASKDESK_DATABASE_URL": self.cluster.host_url}

    def command(self, host: str, *args: str) -> list[str]:
        """`python -m taskdesk ARGS` on that host: in its namespace, under its own name."""
        return ["ip", "netns", "exec", self.namespace(host), "unshare", "--uts", "--",
                "sh", "-c", 'hostname "$0" && exec "$@"', host,
                sys.executable, "-m", "taskdesk", *args]

    def run(self, host: str, *args: str, **settings: str) -> str:
        done = subprocess.run(self.command(host, *args), cwd=REPO, env=self.env(host, **settings),
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, f"taskdesk {' '.join(args)} on {host}: {done.stderr}"
        return done.stdout

    def start(self, host: str, concurrency: int = 1, **settings: str) -> Worker:
        log = self.root / f"{host}-{time.monotonic_ns()}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                self.command(host, "worker", "--concurrency", str(concurrency)), cwd=REPO,
                env=self.env(host, **settings), stdout=out, stderr=subprocess.STDOUT)
        worker = Worker(host, process, log)
        self.workers.append(worker)
        return worker

    def wait_registered(self, workers: list[Worker], seconds: float = 60.0) -> None:
        """Until each worker's runner row exists: its start-up is over."""
        deadline = time.monotonic() + seconds
        while not {w.pid for w in workers} <= self.db.registered_pids():
            self.check_alive()
            assert time.monotonic() < deadline, f"workers not up in {seconds} s\n{self.logs()}"
            time.sleep(0.05)

    def check_alive(self) -> None:
        for worker in self.workers:
            code = worker.process.poll()
            assert code is None, f"{worker.host}'s worker exited with {code}\n{self.logs()}"

    def stop_workers(self) -> list[int]:
        """SIGTERM every worker (a graceful stop); their exit codes, then forget them."""
        for worker in self.workers:
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)
        codes = [worker.process.wait(timeout=STOP_SECONDS) for worker in self.workers]
        self.workers.clear()
        return codes

    def kill_workers(self) -> None:
        for worker in self.workers:
            if worker.process.poll() is None:
                worker.process.kill()
                worker.process.wait(timeout=STOP_SECONDS)
        self.workers.clear()

    def clear(self) -> None:
        """Empty the tables a scenario fills, and each host's unpacked extensions, so the next
        starts from nothing. (A scenario removes its extensions from the database, but a host
        that ran one keeps its copy until it next looks; a later scenario about what hosts
        unpack must not find it there.)"""
        with self.db.engine.connect() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(CLEARED)} RESTART IDENTITY"))
        for host in self.hosts:
            shutil.rmtree(self.root / host / "extensions", ignore_errors=True)

    def desk(self) -> Taskdesk:
        """A Taskdesk on the fleet's database for the test itself (through the socket)."""
        return Taskdesk(database_url=self.cluster.socket_url, home=self.root / "adder",
                        allowed_actions=("tests",))

    def add(self, count: int, pause: float = 0.0, prefix: str = "fleet") -> None:
        desk = self.desk()
        try:
            desk.tasks.add_many(NewTask(code=f"{prefix}-{n}", action=ACTION,
                                        args={"pause": pause}, max_attempts=10)
                                for n in range(count))
        finally:
            desk.close()

    def wait_complete(self, count: int, seconds: float) -> float:
        """Until `count` tasks are complete; how long it took."""
        started = time.monotonic()
        while (done := self.db.complete()) < count:
            self.check_alive()
            assert time.monotonic() - started < seconds, (
                f"only {done} of {count} tasks complete after {seconds} s\n{self.logs()}")
            time.sleep(0.02)
        return time.monotonic() - started

    def logs(self, lines: int = 20) -> str:
        return "\n".join(f"--- {path.name}\n" + "\n".join(
            path.read_text(errors="replace").splitlines()[-lines:])
            for path in sorted(self.root.glob("host*.log")))


def open_fleet(hosts: int = 3) -> Fleet:
    """Make the network and the cluster and create the schema from host1 (`taskdesk init`);
    on any failure, remove what was made. Raises NoNamespaces or NoPostgres where the
    machine cannot have them."""
    remove_leftovers()
    network = Network(hosts)
    network.create()
    cluster: Cluster | None = None
    root = Path(tempfile.mkdtemp(prefix=f"{network.tag}-homes-"))
    try:
        cluster = Cluster(network)
        cluster.start()
        fleet = Fleet(network, cluster, root)
        fleet.run("host1", "init")
        fleet.db.create_table()
        with fleet.db.engine.connect() as conn:
            conn.execute(text("ALTER TABLE chaos_execution ADD COLUMN at timestamptz "
                              "NOT NULL DEFAULT clock_timestamp()"))
        return fleet
    except BaseException:
        close_parts(network, cluster, root)
        raise


def close_fleet(fleet: Fleet) -> None:
    try:
        fleet.kill_workers()
        fleet.db.engine.dispose()
    finally:
        close_parts(fleet.network, fleet.cluster, fleet.root)


def close_parts(network: Network, cluster: Cluster | None, root: Path) -> None:
    """The cluster stopped and deleted, the namespaces removed, the homes deleted: each
    step runs even if one before it failed."""
    try:
        if cluster is not None:
            cluster.stop()
    finally:
        try:
            network.remove()
        finally:
            shutil.rmtree(root, ignore_errors=True)
