"""The answer to an error no handler knew: a JSON 500 that names no internals, made inside the
security-header middleware (Starlette's own last-resort 500 is made outside every middleware,
so it went out as bare text without the headers), and the traceback in the server's log."""

from __future__ import annotations

import logging

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

MESSAGE = "internal error: the server's log has the details"


class UnhandledErrors:
    """A plain ASGI middleware: an exception raised before the answer started becomes a 500;
    one raised while the answer streams can only end the connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            logger.exception("web.unhandled %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await JSONResponse({"detail": MESSAGE}, status_code=500)(scope, receive, send)
