"""Security headers on every response: scripts only from our own files (no inline script
runs), no framing, no sniffing, nothing cached that a shared machine could show again, and
over HTTPS, Strict-Transport-Security."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from taskdesk.web.paths import route_path

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)
#: Over HTTPS only (a browser ignores it over plain HTTP): the browser keeps to HTTPS a year.
STRICT_TRANSPORT = (b"strict-transport-security", b"max-age=31536000")


class SecurityHeaders:
    """A plain ASGI middleware (no buffering, so downloads stream as they are)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = route_path(scope).startswith("/static/")
        https = scope.get("scheme") == "https"  # after TrustedProxies: the client's scheme

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(HEADERS)
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                if https:
                    headers.append(STRICT_TRANSPORT)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
