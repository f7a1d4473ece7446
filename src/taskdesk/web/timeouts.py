"""Read timeouts: a client may not hold a connection open by sending slowly.

uvicorn closes an idle keep-alive connection, but a request's head that trickles in a byte at a
time, or a body that does, was waited for as long as the client liked. Here a request's head
must arrive in full within `read_seconds` of the connection (or of the last answer on it),
else the connection is closed; each part of a body must arrive within `read_seconds`, and the
whole body within `body_seconds`, else the answer is 408 and the body is not read further."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import anyio
import h11
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

REQUEST_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class HeadDeadline(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request head is late."""

    read_seconds = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()  # the next request's head

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._head_timer = self.loop.call_later(self.read_seconds, self._head_late)

    def _head_late(self) -> None:
        """The client has not finished its request's head (h11 still waits for it)."""
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.write(REQUEST_TIMEOUT)
            self.transport.close()


def protocol_with_head_deadline(read_seconds: float) -> type[H11Protocol]:
    """The protocol class to give uvicorn (`http=`), with this deadline."""
    return type("HeadDeadline", (HeadDeadline,), {"read_seconds": read_seconds})


class _TimedBody:
    """One request's receive, timed while its body is read."""

    def __init__(self, receive: Receive, read_seconds: float, body_seconds: float) -> None:
        self.receive = receive
        self.read_seconds = read_seconds
        self.deadline = time.monotonic() + body_seconds
        self.reading = True
        self.late = False

    async def __call__(self) -> Message:
        if not self.reading:  # the body is in: waiting for a disconnect is not a read
            return await self.receive()
        seconds = max(0.0, min(self.read_seconds, self.deadline - time.monotonic()))
        try:
            with anyio.fail_after(seconds):
                message = await self.receive()
        except TimeoutError:
            self.late = True
            raise
        self.reading = message["type"] == "http.request" and message.get("more_body", False)
        return message


class BodyDeadline:
    """A plain ASGI middleware: a body read too slowly is answered 408, in place of whatever
    the app makes of the failed read (FastAPI turns it into a 400)."""

    def __init__(self, app: ASGIApp, *, read_seconds: float, body_seconds: float) -> None:
        self.app = app
        self.read_seconds = read_seconds
        self.body_seconds = body_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        timed = _TimedBody(receive, self.read_seconds, self.body_seconds)

        async def answer(message: Message) -> None:
            if not timed.late:
                await send(message)
            elif message["type"] == "http.response.start":
                await _refuse(scope, receive, send)

        try:
            await self.app(scope, timed, answer)
        except TimeoutError:
            if not timed.late:
                raise
            await _refuse(scope, receive, send)


async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
    response = JSONResponse({"detail": "the request body came too slowly"},
                            status_code=408, headers={"connection": "close"})
    await response(scope, receive, send)
