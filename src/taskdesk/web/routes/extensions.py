"""Extensions > Installer (upload, the uploaded packages, Remove) and Extensions > Extensions
(modules by type with Install / Uninstall, and what each install added)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import File, Form, Request, UploadFile
from pydantic import BaseModel, Field
from starlette.responses import Response

from taskdesk.errors import BadPackage
from taskdesk.views import ExtensionView, UninstallView, task_view
from taskdesk.web.render import render
from taskdesk.web.routes.answers import Message
from taskdesk.web.security import actor_of, admin_of, desk_of
from taskdesk.web.table import UPLOAD, RouteList

routes = RouteList()
CHUNK = 1024 * 1024  # bytes copied at a time from an upload
MODULE_TASKS = 20  # tasks shown under each extension on Extensions > Extensions


class ModuleBody(BaseModel):
    module: str | None = Field(default=None, max_length=300,
                               description="TYPE/CODE; every module when omitted")


class Installed(BaseModel):
    modules: list[str]
    message: str



@routes.get("/api/extensions", "extensions:access")
def list_extensions(request: Request) -> list[ExtensionView]:
    return admin_of(request).extensions.all()


@routes.post("/api/extensions/upload", UPLOAD, status_code=201)
def upload(request: Request, file: Annotated[UploadFile, File()],
           upgrade: Annotated[bool, Form()] = False) -> ExtensionView:
    """Upload an extension's zip (multipart field `file`); the installer checks it whole
    before anything is unpacked, and a refused package changes nothing. `upgrade=true`
    replaces an uploaded extension's version, running its installed modules' upgrade()
    (what `taskdesk extension upload --upgrade` does); every host runs the new version from
    its next task on."""
    admin = admin_of(request)
    limit = admin.settings.package_max_file_bytes
    name = safe_file_name(file.filename)
    with tempfile.TemporaryDirectory(prefix="upload-") as folder:
        target = Path(folder) / name
        _save(file, target, limit)
        return admin.extensions.upload(target, upgrade=upgrade, by=actor_of(request))


def safe_file_name(given: str | None) -> str:
    """The upload's own name (the code defaults to its stem), reduced to a plain file name:
    never a path, `..`, a NUL or anything the file system could read otherwise."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", (given or "").replace("\\", "/").rsplit("/", 1)[-1])
    return name[-200:] if name.strip(".") else "package.zip"


def _save(file: UploadFile, target: Path, limit: int) -> None:
    written = 0
    with target.open("wb") as out:
        while chunk := file.file.read(CHUNK):
            written += len(chunk)
            if written > limit:
                raise BadPackage(f"the package is larger than {limit} bytes "
                                 "(TASKDESK_PACKAGE_MAX_FILE_BYTES)")
            out.write(chunk)


@routes.post("/api/extensions/{code}/install", "extensions:modify")
def install(request: Request, code: str, body: ModuleBody | None = None) -> Installed:
    module = body.module if body else None
    modules = admin_of(request).extensions.install(code, module, by=actor_of(request))
    return Installed(modules=modules, message=f"installed {', '.join(modules) or 'nothing new'}")


@routes.post("/api/extensions/{code}/uninstall", "extensions:modify")
def uninstall(request: Request, code: str, body: ModuleBody | None = None) -> UninstallView:
    module = body.module if body else None
    return admin_of(request).extensions.uninstall(code, module, by=actor_of(request))


@routes.delete("/api/extensions/{code}", "installer:modify")
def remove(request: Request, code: str) -> Message:
    message = admin_of(request).extensions.remove(code, by=actor_of(request))
    return Message(message=message)


@routes.get("/installer", "installer:access", page=True)
def installer_page(request: Request) -> Response:
    admin = admin_of(request)
    return render(request, "installer.html", extensions=admin.extensions.all(),
                  max_bytes=admin.settings.package_max_file_bytes)


@routes.get("/extensions", "extensions:access", page=True)
def extensions_page(request: Request) -> Response:
    desk = desk_of(request)
    extensions = admin_of(request).extensions.all()
    added = {view["code"]: [task_view(task) for task in desk.tasks.list_tasks(
        extension=view["code"], limit=MODULE_TASKS, descending=True, preview=80)]
        for view in extensions}
    by_type: dict[str, list[tuple[ExtensionView, str, bool]]] = {}
    for view in extensions:
        for module in view["modules"]:
            by_type.setdefault(module["type"], []).append(
                (view, module["code"], module["installed"]))
    return render(request, "extensions.html", extensions=extensions, by_type=by_type,
                  added=added)
