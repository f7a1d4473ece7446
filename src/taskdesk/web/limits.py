"""Refuse a request body that is too large before anything reads it: a form or a JSON body is
small (the login form, a task's args), and only an upload takes a package's size."""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SLACK = 1024 * 1024  # bytes of multipart framing around an uploaded package
MAX_BODY = 1024 * 1024  # bytes of any other body: a form, a JSON request


class BodyLimit:
    """By Content-Length up front, and by counting the bytes of a body sent without one."""

    def __init__(self, app: ASGIApp, *, upload_bytes: int,
                 upload_paths: frozenset[str]) -> None:
        self.app = app
        self.upload_bytes = upload_bytes + SLACK
        self.upload_paths = upload_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_bytes if scope["path"] in self.upload_paths else MAX_BODY
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > limit:
            await self._refuse(limit, scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except TooLarge:
            await self._refuse(limit, scope, receive, send)

    async def _refuse(self, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse({"detail": f"the request body is larger than "
                                           f"{limit} bytes"}, status_code=413)
        await response(scope, receive, send)


class TooLarge(Exception):
    """The body grew past the limit while it was read."""
