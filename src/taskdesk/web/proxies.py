"""Which proxy may say who the client is: `X-Forwarded-For` and `X-Forwarded-Proto` are
believed only from a peer in `FORWARDED_ALLOW_IPS` (uvicorn's variable: addresses or networks,
comma-separated, or `*`; default 127.0.0.1 and ::1), and only when they hold what they should
(an IP address; `http` or `https`). Anything else keeps the peer's own address and scheme, so a
forged header can neither write text into the audit's From column nor dodge the throttle."""

from __future__ import annotations

import os
from collections.abc import Iterable
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from starlette.types import ASGIApp, Receive, Scope, Send

from taskdesk.errors import ConfigError

ENV_NAME = "FORWARDED_ALLOW_IPS"
DEFAULT = "127.0.0.1,::1"
SCHEMES = frozenset({"http", "https"})

Network = IPv4Network | IPv6Network


def trusted_from_env() -> tuple[Network, ...]:
    return parse_trusted(os.environ.get(ENV_NAME, DEFAULT))


def parse_trusted(text: str) -> tuple[Network, ...]:
    """`*` trusts every peer; otherwise each part is an address or a network."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if "*" in parts:
        return (ip_network("0.0.0.0/0"), ip_network("::/0"))
    try:
        return tuple(ip_network(part, strict=False) for part in parts)
    except ValueError:
        raise ConfigError(f"{ENV_NAME}={text!r}: write IP addresses or networks separated "
                          "by commas, or *") from None


def is_ip(text: str) -> bool:
    try:
        ip_address(text)
    except ValueError:
        return False
    return True


class TrustedProxies:
    """A plain ASGI middleware that rewrites `client` and `scheme` of a trusted proxy's
    request (the outermost one, so every other layer sees the real client)."""

    def __init__(self, app: ASGIApp, *, trusted: Iterable[Network]) -> None:
        self.app = app
        self.trusted = tuple(trusted)

    def _trusts(self, host: str) -> bool:
        if not is_ip(host):
            return False
        address = ip_address(host)
        return any(address in network for network in self.trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] == "http" and client and self._trusts(client[0]):
            headers = dict(scope["headers"])
            forwarded = self._client(headers.get(b"x-forwarded-for", b""))
            if forwarded is not None:
                scope["client"] = (forwarded, 0)
            scheme = headers.get(b"x-forwarded-proto", b"").decode("latin-1").strip().lower()
            if scheme in SCHEMES:
                scope["scheme"] = scheme
        await self.app(scope, receive, send)

    def _client(self, header: bytes) -> str | None:
        """The nearest address not of a trusted proxy (the last hop's own claim); None when
        any hop is not an IP address."""
        hops = [hop.strip() for hop in header.decode("latin-1").split(",")]
        if not header or not all(is_ip(hop) for hop in hops):
            return None
        for hop in reversed(hops):
            if not self._trusts(hop):
                return str(ip_address(hop))
        return str(ip_address(hops[0]))
