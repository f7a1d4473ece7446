"""System > Maintenance > Error logs: the tail of the file tasks write with self.log.write(),
newest last; the whole file as a download; Clear. Lines came from packages and tasks: they are
shown as text (escaped, control characters made visible), never as markup."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from pydantic import BaseModel
from starlette.responses import FileResponse, Response

from taskdesk.text import visible
from taskdesk.web.render import render
from taskdesk.web.routes.answers import Message
from taskdesk.web.security import actor_of, admin_of
from taskdesk.web.table import RouteList

routes = RouteList()
DEFAULT_LINES = 200
MAX_LINES = 10_000


class ErrorLogView(BaseModel):
    path: str
    size: int  # bytes in the whole file
    lines: list[str]  # the last lines asked for, oldest first, control characters escaped



def error_log_view(request: Request, lines: int) -> ErrorLogView:
    error_log = admin_of(request).error_log
    text = error_log.read(tail=lines)
    return ErrorLogView(path=str(error_log.path), size=error_log.size(),
                        lines=[visible(line, keep="\t") for line in text.splitlines()])


@routes.get("/api/error-log", "error_log:access")
def show(request: Request,
         lines: Annotated[int, Query(ge=1, le=MAX_LINES)] = DEFAULT_LINES) -> ErrorLogView:
    return error_log_view(request, lines)


@routes.delete("/api/error-log", "error_log:modify")
def clear(request: Request) -> Message:
    admin_of(request).clear_error_log(by=actor_of(request))
    return Message(message="the error log is empty")


@routes.get("/error-log", "error_log:access", page=True)
def error_log_page(request: Request,
                   lines: Annotated[int, Query(ge=1, le=MAX_LINES)] = DEFAULT_LINES) -> Response:
    template = "error_log_lines.html" if request.headers.get("HX-Request") else "error_log.html"
    return render(request, template, log=error_log_view(request, lines), lines=lines)


@routes.get("/error-log/download", "error_log:access", page=True)
def download(request: Request) -> Response:
    error_log = admin_of(request).error_log
    if not error_log.path.exists():
        return Response(b"", media_type="text/plain; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="error.log"'})
    return FileResponse(error_log.path, media_type="text/plain; charset=utf-8",
                        filename="error.log")
