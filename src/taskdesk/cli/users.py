"""`taskdesk user …`: admin web users, their roles, passwords and API tokens. Every change is
recorded in the audit log with the actor "cli", by the accounts service, in its transaction."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from taskdesk.admin import Actor
from taskdesk.cli.context import administered
from taskdesk.cli.output import console, new_table, print_json, short_iso, shown
from taskdesk.models.account_rules import check_password
from taskdesk.models.roles import ROLES
from taskdesk.views import TokenView, UserView

app = typer.Typer(help="Admin web users: add, list, delete, password, role, API tokens.",
                  no_args_is_help=True)

ACTOR = Actor("cli")  # who the audit log names for a change made here
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
Name = Annotated[str, typer.Argument(help="User name (letters, digits, . _ @ -).",
                                     show_default=False)]
Password = Annotated[str | None, typer.Option(
    envvar="TASKDESK_USER_PASSWORD", show_envvar=True,
    help="The password (else TASKDESK_USER_PASSWORD, else asked twice, hidden).")]


def _password(given: str | None) -> str:
    """The flag's or the environment's password, else asked for twice with hidden input."""
    if given is None:
        given = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return check_password(given)


@app.command()
def add(
    ctx: typer.Context,
    name: Name,
    role: Annotated[str, typer.Option(help=f"One of {', '.join(ROLES)}.")] = "viewer",
    password: Password = None,
) -> None:
    """Add a user."""
    secret = _password(password)  # asked before the database is opened
    with administered(ctx) as admin:
        user = admin.accounts.add_user(name, secret, role=role, by=ACTOR)
    console.print(shown(f"added user {user['name']} ({user['role']})"))


@app.command("list")
def list_(ctx: typer.Context, json_: JsonFlag = False) -> None:
    """List users by name."""
    with administered(ctx) as admin:
        users = admin.accounts.users()
    if json_:
        print_json(users)
        return
    console.print(users_table(users))


@app.command()
def delete(ctx: typer.Context, name: Name) -> None:
    """Delete a user with its tokens and sessions (never the last admin)."""
    with administered(ctx) as admin:
        admin.accounts.delete_user(name, by=ACTOR)
    console.print(shown(f"deleted user {name}"))


@app.command("password")
def set_password(ctx: typer.Context, name: Name, password: Password = None) -> None:
    """Set a user's password; the user's web sessions end."""
    secret = _password(password)
    with administered(ctx) as admin:
        admin.accounts.set_password(name, secret, by=ACTOR)
    console.print(shown(f"changed the password of {name}; their sessions ended"))


@app.command("role")
def set_role(
    ctx: typer.Context,
    name: Name,
    role: Annotated[str, typer.Argument(help=f"One of {', '.join(ROLES)}.",
                                        show_default=False)],
) -> None:
    """Give a user another role (never demotes the last admin)."""
    with administered(ctx) as admin:
        user = admin.accounts.set_role(name, role, by=ACTOR)
    console.print(shown(f"{user['name']} is now {user['role']}"))


@app.command()
def token(
    ctx: typer.Context,
    name: Name,
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    expires_days: Annotated[float | None, typer.Option(
        help="Days until the token expires (default: never).")] = None,
    read_only: Annotated[bool, typer.Option(
        "--read-only", help="Only the user's `access` permissions: reads, never changes.")] = False,
) -> None:
    """Issue an API token; it is printed once, as the last word of the output."""
    with administered(ctx) as admin:
        secret, issued = admin.accounts.issue_token(name, label=label, expires_days=expires_days,
                                                    read_only=read_only, by=ACTOR)
    console.print(shown(f"API token {issued['token_id']} of {issued['user']} (shown once): "
                        f"{secret}"), soft_wrap=True)


@app.command()
def tokens(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Only this user's tokens.",
                                               show_default=False)] = None,
    json_: JsonFlag = False,
) -> None:
    """List API tokens (never their secrets), oldest first."""
    with administered(ctx) as admin:
        found = admin.accounts.tokens(name)
    if json_:
        print_json(found)
        return
    console.print(tokens_table(found))


@app.command()
def revoke(
    ctx: typer.Context,
    token_id: Annotated[int, typer.Argument(help="The token's id (see `user tokens`).",
                                            show_default=False)],
) -> None:
    """Revoke an API token: it no longer authenticates."""
    with administered(ctx) as admin:
        revoked = admin.accounts.revoke_token(token_id, by=ACTOR)
    console.print(shown(f"revoked API token {token_id} of {revoked['user']}"))


def users_table(users: list[UserView]) -> Table:
    table = new_table(f"{len(users)} users", ("id", "name", "role", "added (UTC)",
                                              "changed (UTC)"))
    for user in users:
        table.add_row(str(user["user_id"]), shown(user["name"]), user["role"],
                      short_iso(user["date_added"]), short_iso(user["date_modified"]))
    return table


def tokens_table(found: list[TokenView]) -> Table:
    table = new_table(f"{len(found)} API tokens", ("id", "user", "label", "added (UTC)",
                                                   "last used (UTC)", "expires (UTC)",
                                                   "read-only", "revoked"),
                      wide=("label",))
    for item in found:
        table.add_row(str(item["token_id"]), shown(item["user"]), shown(item["label"]),
                      short_iso(item["date_added"]), short_iso(item["last_used_at"]),
                      short_iso(item["expires_at"]) if item["expires_at"] else "never",
                      "yes" if item["read_only"] else "", "yes" if item["revoked"] else "")
    return table
