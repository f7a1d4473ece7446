"""The fleet's private network: one namespace per machine (the database host and the worker
hosts), each joined by a veth pair to a bridge in a switch namespace of its own, on a /24 that
exists only inside this machine (no default route, no NAT, no address in the machine's own
namespace). Names carry the creating process's pid, so that a later run can tell a crashed
run's leftovers (pid dead: removed) from another live run's (left alone)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

PREFIX = "tdf"
SUBNET = "10.213.0"
LEFTOVER = re.compile(rf"^{PREFIX}(\d+)(sw|db|h\d+)$")


class NoNamespaces(Exception):
    """Network namespaces cannot be made here (not root, no `ip netns`)."""


def ip(*args: str) -> str:
    """Run `ip ARGS`; its output. A failure raises with ip's own message."""
    done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


class Network:
    """A switch namespace with a bridge, the database's namespace and `hosts` worker-host
    namespaces; machine n (0: the database) has address 10.213.0.(n + 1)."""

    def __init__(self, hosts: int) -> None:
        self.tag = f"{PREFIX}{os.getpid()}"
        self.switch = f"{self.tag}sw"
        self.database = f"{self.tag}db"
        self.hosts = [f"{self.tag}h{n}" for n in range(1, hosts + 1)]
        self.created: list[str] = []

    @property
    def machines(self) -> list[str]:
        return [self.database, *self.hosts]

    def address(self, namespace: str) -> str:
        return f"{SUBNET}.{self.machines.index(namespace) + 1}"

    def port(self, namespace: str) -> str:
        """The switch's end of that machine's cable."""
        return f"port{self.machines.index(namespace)}"

    def create(self) -> None:
        """Make every namespace and cable; a failure removes what was made and raises."""
        try:
            self._namespace(self.switch)
        except RuntimeError as error:
            raise NoNamespaces(str(error)) from error
        try:
            ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
            ip("-n", self.switch, "link", "set", "br0", "up")
            for namespace in self.machines:
                self._namespace(namespace)
                port = self.port(namespace)
                ip("-n", self.switch, "link", "add", port, "type", "veth",
                   "peer", "name", "eth0", "netns", namespace)
                ip("-n", self.switch, "link", "set", port, "master", "br0", "up")
                ip("-n", namespace, "addr", "add", f"{self.address(namespace)}/24", "dev", "eth0")
                ip("-n", namespace, "link", "set", "eth0", "up")
        except BaseException:
            self.remove()
            raise

    def _namespace(self, name: str) -> None:
        ip("netns", "add", name)
        self.created.append(name)
        ip("-n", name, "link", "set", "lo", "up")

    def cut(self, namespace: str) -> None:
        """Unplug that machine's cable at the switch: its packets go nowhere, both ways."""
        ip("-n", self.switch, "link", "set", self.port(namespace), "down")

    def restore(self, namespace: str) -> None:
        ip("-n", self.switch, "link", "set", self.port(namespace), "up")

    def remove(self) -> None:
        """Kill what still runs inside the namespaces (only this run's processes live there)
        and delete them."""
        for name in reversed(self.created):
            remove_namespace(name)
        self.created.clear()


def remove_namespace(name: str) -> None:
    pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True,
                          check=False).stdout.split()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)
    subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers() -> list[str]:
    """Namespaces (with what runs inside them) and folders (the cluster's, the hosts' homes)
    of earlier runs whose process is dead; what went."""
    removed = []
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True,
                             check=False).stdout
    for line in listing.splitlines():
        name = line.split(" ", 1)[0]
        match = LEFTOVER.match(name)
        if match and not alive(int(match.group(1))):
            remove_namespace(name)
            removed.append(name)
    for folder in Path(tempfile.gettempdir()).glob(f"{PREFIX}[0-9]*-*"):  # -pg-, -homes-
        pid = folder.name.removeprefix(PREFIX).split("-", 1)[0]
        if pid.isdigit() and not alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(str(folder))
    return removed
