"""A scratch PostgreSQL cluster inside the database host's namespace: initdb and pg_ctl as
the `postgres` user (initdb refuses root), listening on the namespace's address only, trust
for the fleet's subnet. Its unix socket lives in its own folder, which is how the test itself
(in the machine's namespace, with no cable to the subnet) reads the database."""

from __future__ import annotations

import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.fleet.network import SUBNET, Network

BIN = Path("/usr/lib/postgresql/15/bin")
PORT = 5432  # the namespace's own port 5432: the machine's server is never reached
DATABASE = "taskdesk"


class NoPostgres(Exception):
    """No PostgreSQL 15 binaries or no `postgres` user to run them as."""


def as_postgres(*command: str, namespace: str | None = None) -> None:
    prefix = ["ip", "netns", "exec", namespace] if namespace else []
    done = subprocess.run([*prefix, "runuser", "-u", "postgres", "--", *command],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: {done.stdout}{done.stderr}")


class Cluster:
    """initdb, start, a database for taskdesk; stop (immediate) and delete its folder."""

    def __init__(self, network: Network) -> None:
        if not (BIN / "initdb").exists():
            raise NoPostgres(f"no {BIN / 'initdb'}")
        try:
            self.user = pwd.getpwnam("postgres")
        except KeyError as error:
            raise NoPostgres("no `postgres` user to run initdb as") from error
        self.network = network
        self.folder = Path(tempfile.mkdtemp(prefix=f"{network.tag}-pg-"))
        self.data = self.folder / "data"
        self.started = False

    @property
    def host_url(self) -> str:
        """What the worker hosts use: TCP over the subnet."""
        address = self.network.address(self.network.database)
        return f"postgresql://postgres@{address}:{PORT}/{DATABASE}"

    @property
    def socket_url(self) -> str:
        """What the test uses: the cluster's unix socket, reachable from any namespace."""
        return f"postgresql://postgres@/{DATABASE}?host={self.folder}&port={PORT}"

    def start(self) -> None:
        shutil.chown(self.folder, self.user.pw_uid, self.user.pw_gid)
        as_postgres(str(BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                    "--auth=trust", "-E", "UTF8", "--no-sync")
        with (self.data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {SUBNET}.0/24 trust\n")
        options = (f"-c listen_addresses={self.network.address(self.network.database)} "
                   f"-c port={PORT} -c unix_socket_directories={self.folder} "
                   "-c max_connections=200 -c timezone=UTC")
        as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-l",
                    str(self.folder / "server.log"), "-w", "-o", options, "start",
                    namespace=self.network.database)
        self.started = True
        as_postgres(str(BIN / "createdb"), "-h", str(self.folder), "-p", str(PORT), DATABASE)

    def restart(self) -> None:
        """Stop (fast: every session ended) and start again with the same options, as an
        operator's restart does; returns once it accepts connections."""
        as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-l",
                    str(self.folder / "server.log"), "-m", "fast", "-w", "restart",
                    namespace=self.network.database)

    def stop(self) -> None:
        """Stop at once (a scratch cluster has nothing to keep) and delete the folder."""
        try:
            if self.started:
                as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                            "stop", namespace=self.network.database)
                self.started = False
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        path = self.folder / "server.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])
