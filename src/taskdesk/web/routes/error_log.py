"""System > Maintenance > Error logs: what tasks wrote with self.log.write() on every host,
newest last, a page at a time (keyset: `cursor` is the line id to read before), filtered by
host and by task; the lines as a text download; Clear. Lines came from packages and tasks:
they are shown as text (escaped, control characters made visible), never as markup."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from taskdesk.models.error_lines import DEFAULT_PAGE, MAX_PAGE, ErrorLineFilter
from taskdesk.text import visible
from taskdesk.views import ErrorLineView, ErrorLogPageView
from taskdesk.web.render import render
from taskdesk.web.routes.answers import Message
from taskdesk.web.security import actor_of, admin_of
from taskdesk.web.table import RouteList

routes = RouteList()
MAX_HOST_CHARS = 255
DOWNLOAD_LINES = MAX_PAGE  # the newest lines a download holds

Id = Annotated[int | None, Query(ge=1, le=2**63 - 1)]
Host = Annotated[str | None, Query(min_length=1, max_length=MAX_HOST_CHARS)]
Limit = Annotated[int | None, Query(ge=1, le=MAX_PAGE)]


class ErrorLineModel(BaseModel):
    error_log_id: int
    date_added: str | None
    host: str
    pid: int
    task_id: int | None
    message: str


class ErrorLogModel(BaseModel):
    lines: list[ErrorLineModel] = Field(description="oldest first: newest last")
    next_cursor: int | None = Field(description="pass as `cursor` for the older lines")


def _page(request: Request, host: str | None, task: int | None, cursor: int | None,
          limit: int) -> ErrorLogPageView:
    where = ErrorLineFilter(host=host, task_id=task, before=cursor)
    return admin_of(request).error_log.page_view(where, limit)


@routes.get("/api/error-log", "error_log:access")
def show(request: Request, host: Host = None, task: Id = None, cursor: Id = None,
         limit: Limit = None, lines: Limit = None) -> ErrorLogModel:
    """Every host's lines, newest last; `host` and `task` filter, `next_cursor` pages back
    (`lines` is the older name of `limit`)."""
    page = _page(request, host, task, cursor, limit or lines or DEFAULT_PAGE)
    return ErrorLogModel.model_validate(page)


@routes.delete("/api/error-log", "error_log:modify")
def clear(request: Request) -> Message:
    admin_of(request).clear_error_log(by=actor_of(request))
    return Message(message="the error log is empty")


@routes.get("/error-log", "error_log:access", page=True)
def error_log_page(request: Request, host: Host = None, task: Id = None, cursor: Id = None,
                   limit: Limit = None, lines: Limit = None) -> Response:
    shown = limit or lines or DEFAULT_PAGE
    page = _page(request, host, task, cursor, shown)
    template = "error_log_lines.html" if request.headers.get("HX-Request") else "error_log.html"
    filters = {key: value for key, value in (("host", host), ("task", task)) if value}
    return render(request, template, log=page, limit=shown, host=host, task=task,
                  cursor=cursor, filters=filters, hosts=admin_of(request).error_log.hosts())


@routes.get("/error-log/download", "error_log:access", page=True)
def download(request: Request) -> Response:
    """The newest lines (every host's) as text, one per line, control characters escaped."""
    page = _page(request, None, None, None, DOWNLOAD_LINES)
    text = "".join(line_text(line) + "\n" for line in page["lines"])
    return Response(text.encode("utf-8"), media_type="text/plain; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="error.log"'})


def line_text(line: ErrorLineView) -> str:
    task = "-" if line["task_id"] is None else str(line["task_id"])
    when = (line["date_added"] or "").replace("T", " ")[:19]
    return visible(f"{when} {line['host']} pid {line['pid']} task {task} - "
                   f"{line['message']}", keep="\t")
