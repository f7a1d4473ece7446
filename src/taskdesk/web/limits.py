"""Refuse a request body that is too large before anything reads it: a form or a JSON body is
small (the login form, a task's args), and only an upload takes a package's size."""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from taskdesk.web.paths import route_path

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
        limit = self.upload_bytes if route_path(scope) in self.upload_paths else MAX_BODY
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > limit:
            await self._refuse(limit, scope, receive, send)
            return
        await self._counting(limit, scope, receive, send)

    async def _counting(self, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        """Stop the read past the limit, and answer 413 in place of whatever the app makes of
        that (FastAPI turns any failure to read a body into a 400)."""
        seen = 0
        refused = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise TooLarge
            return message

        async def answer(message: Message) -> None:
            nonlocal refused
            if seen <= limit:
                await send(message)
            elif not refused:
                refused = True
                await self._refuse(limit, scope, receive, send)

        try:
            await self.app(scope, counted, answer)
        except TooLarge:
            await answer({"type": "http.response.start"})

    async def _refuse(self, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse({"detail": f"the request body is larger than "
                                           f"{limit} bytes"}, status_code=413)
        await response(scope, receive, send)


class TooLarge(Exception):
    """The body grew past the limit while it was read."""
