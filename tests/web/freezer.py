"""A TCP relay on 127.0.0.1 in front of a server (PostgreSQL), which a test can freeze: it
stops forwarding in both directions without closing anything, as when packets are dropped
(a cable pulled, a firewall), so the client waits instead of being refused."""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

TICK = 0.05  # seconds between looks at the freeze flag and at closing


class FreezableRelay:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.frozen = threading.Event()
        self.closed = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(TICK)
        self.port: int = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed
                return
            upstream = socket.create_connection(self.target)
            self._sockets += [client, upstream]
            threading.Thread(target=self._relay, args=(client, upstream), daemon=True).start()

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        try:
            self._forward({client: upstream, upstream: client})
        except OSError:  # closed by either end, or by close()
            return

    def _forward(self, peers: dict[socket.socket, socket.socket]) -> None:
        while not self.closed.is_set():
            if self.frozen.is_set():
                self.closed.wait(TICK)
                continue
            readable, _, _ = select.select(list(peers), [], [], TICK)
            for sock in readable:
                data = sock.recv(65536)
                if not data:
                    return
                peers[sock].sendall(data)

    def close(self) -> None:
        self.closed.set()
        self._listener.close()
        for sock in self._sockets:
            sock.close()


@contextmanager
def relay_to(host: str, port: int) -> Iterator[FreezableRelay]:
    relay = FreezableRelay((host, port))
    try:
        yield relay
    finally:
        relay.close()
