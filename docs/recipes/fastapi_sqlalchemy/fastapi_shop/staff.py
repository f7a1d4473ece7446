"""The shop's users, and who of them may use taskdesk's admin (its `authenticate` hook)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import select
from starlette.requests import Request

from fastapi_shop.db import Session
from fastapi_shop.models import User

hasher = PasswordHasher()


def add_user(name: str, password: str, admin_role: str | None = None) -> None:
    with Session.begin() as session:
        session.add(User(name=name, password_hash=hasher.hash(password), admin_role=admin_role))


def check_login(name: str, password: str) -> bool:
    with Session() as session:
        user = session.scalars(select(User).where(User.name == name)).one_or_none()
    if user is None:
        return False
    try:
        return hasher.verify(user.password_hash, password)
    except VerificationError:
        return False


def staff_member(request: Request) -> tuple[str, str] | None:
    """taskdesk's hook: the logged-in shop user and their admin role, or None (customers,
    and visitors, meet taskdesk's own login page instead)."""
    name = request.session.get("user")
    if not isinstance(name, str):
        return None
    with Session() as session:
        user = session.scalars(select(User).where(User.name == name)).one_or_none()
    if user is None or user.admin_role is None:
        return None
    return user.name, user.admin_role
