"""System > Users: users and their roles, their API tokens (revoke), and the audit log of
every change made through the admin or the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from taskdesk.models.roles import ROLES
from taskdesk.views import AuditView, TokenView, UserView
from taskdesk.web.render import render
from taskdesk.web.routes.answers import Message
from taskdesk.web.security import actor_of, admin_of, caller_of
from taskdesk.web.table import RouteList

routes = RouteList()
AUDIT_PAGE = 50


class NewUser(BaseModel):
    name: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    role: str = Field(default="viewer", max_length=32)


class NewPassword(BaseModel):
    password: str = Field(max_length=1024)


class NewRole(BaseModel):
    role: str = Field(max_length=32)


class NewToken(BaseModel):
    label: str = Field(default="", max_length=128)
    expires_days: float | None = Field(default=None, description="days until it expires; "
                                       "null: never")
    read_only: bool = Field(default=False, description="only the user's `access` permissions")


class IssuedToken(BaseModel):
    token: str = Field(description="the secret: shown once, stored only as a hash")
    details: TokenView



@routes.get("/api/users", "users:access")
def list_users(request: Request) -> list[UserView]:
    return admin_of(request).accounts.users()


@routes.post("/api/users", "users:modify", status_code=201)
def add_user(request: Request, body: NewUser) -> UserView:
    return admin_of(request).accounts.add_user(body.name, body.password, role=body.role,
                                               by=actor_of(request))


@routes.delete("/api/users/{name}", "users:modify")
def delete_user(request: Request, name: str) -> Message:
    admin_of(request).accounts.delete_user(name, by=actor_of(request))
    return Message(message=f"user {name} deleted")


@routes.post("/api/users/{name}/password", "users:modify")
def set_password(request: Request, name: str, body: NewPassword) -> Message:
    admin_of(request).accounts.set_password(name, body.password, by=actor_of(request))
    return Message(message=f"password of {name} changed; their sessions ended")


@routes.post("/api/users/{name}/role", "users:modify")
def set_role(request: Request, name: str, body: NewRole) -> UserView:
    """Give a user another role (the last admin keeps theirs)."""
    return admin_of(request).accounts.set_role(name, body.role, by=actor_of(request))


@routes.get("/api/tokens", "users:access")
def list_tokens(request: Request) -> list[TokenView]:
    return admin_of(request).accounts.tokens()


@routes.post("/api/users/{name}/tokens", "users:modify", status_code=201)
def issue_token(request: Request, name: str, body: NewToken) -> IssuedToken:
    secret, token = admin_of(request).accounts.issue_token(
        name, label=body.label, expires_days=body.expires_days, read_only=body.read_only,
        by=actor_of(request))
    return IssuedToken(token=secret, details=token)


@routes.delete("/api/tokens/{token_id}", "users:modify")
def revoke_token(request: Request, token_id: int) -> TokenView:
    return admin_of(request).accounts.revoke_token(token_id, by=actor_of(request))


@routes.get("/api/audit", "audit:access")
def audit_log(request: Request,
              cursor: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
              limit: Annotated[int, Query(ge=1, le=500)] = AUDIT_PAGE) -> list[AuditView]:
    """Every change, newest first; pass the last `audit_id` as `cursor` for older ones."""
    return admin_of(request).audit.entries(cursor=cursor, limit=limit)


@routes.get("/users", "users:access", page=True)
def users_page(request: Request) -> Response:
    accounts = admin_of(request).accounts
    return render(request, "users.html", users=accounts.users(), tokens=accounts.tokens(),
                  roles=ROLES, me=caller_of(request).name)


@routes.get("/audit", "audit:access", page=True)
def audit_page(request: Request,
               cursor: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None) -> Response:
    entries = admin_of(request).audit.entries(cursor=cursor, limit=AUDIT_PAGE + 1)
    page = entries[:AUDIT_PAGE]
    return render(request, "audit.html", entries=page, first=cursor is None,
                  older=page[-1]["audit_id"] if len(entries) > AUDIT_PAGE else None)
