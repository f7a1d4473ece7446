"""`taskdesk user …` and `taskdesk init --admin-user`: on SQLite and PostgreSQL, in-process."""

from __future__ import annotations

from typing import Any

from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from tests.cli.harness import Cli, error_line

PASSWORD = "correct horse"


def audit_actions(cli: Cli) -> list[tuple[str, str, str]]:
    with Taskdesk(home=cli.home, database_url=cli.database_url) as desk:
        return [(e["actor"], e["action"], e["target"]) for e in Admin(desk).audit.entries()][::-1]


def authenticates(cli: Cli, name: str, password: str) -> bool:
    with Taskdesk(home=cli.home, database_url=cli.database_url) as desk:
        return Admin(desk).accounts.authenticate(name, password) is not None


def users(cli: Cli) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = cli.json("user", "list")
    return found


def test_add_list_role_password_delete_and_their_audit(cli: Cli) -> None:
    assert "added user ann (admin)" in cli.ok("user", "add", "ann", "--role", "admin",
                                              "--password", PASSWORD)
    cli.ok("user", "add", "bob", "--password", PASSWORD)

    listed = users(cli)
    assert [(u["name"], u["role"]) for u in listed] == [("ann", "admin"), ("bob", "viewer")]
    assert "installer:upload" in listed[0]["permissions"]
    assert "2 users" in cli.ok("user", "list")
    assert "bob is now operator" in cli.ok("user", "role", "bob", "operator")
    cli.ok("user", "password", "bob", "--password", "a new password")
    assert authenticates(cli, "bob", "a new password")
    assert "deleted user bob" in cli.ok("user", "delete", "bob")
    assert [u["name"] for u in users(cli)] == ["ann"]
    assert audit_actions(cli) == [
        ("cli", "users.add", "user ann"), ("cli", "users.add", "user bob"),
        ("cli", "users.role", "user bob"), ("cli", "users.password", "user bob"),
        ("cli", "users.delete", "user bob"),
    ]


def test_the_password_may_come_from_the_environment(cli: Cli) -> None:
    result = cli.run("user", "add", "ann", extra_env={"TASKDESK_USER_PASSWORD": PASSWORD})

    assert result.code == 0, result
    assert authenticates(cli, "ann", PASSWORD)


def test_without_a_password_and_no_input_nothing_is_added(cli: Cli) -> None:
    result = cli.run("user", "add", "ann")

    assert result.code != 0
    assert "Traceback" not in result.stderr
    assert users(cli) == []


def test_token_prints_the_secret_last_and_revoke_refuses_it_afterwards(cli: Cli) -> None:
    cli.ok("user", "add", "ann", "--role", "admin", "--password", PASSWORD)

    secret = cli.ok("user", "token", "ann", "--label", "deploy").split()[-1]

    with Taskdesk(home=cli.home, database_url=cli.database_url) as desk:
        assert Admin(desk).accounts.user_for_token(secret) is not None
    [token] = cli.json("user", "tokens", "ann")
    assert (token["user"], token["label"], token["revoked"]) == ("ann", "deploy", False)
    assert secret not in cli.ok("user", "tokens")
    assert "revoked API token" in cli.ok("user", "revoke", str(token["token_id"]))
    with Taskdesk(home=cli.home, database_url=cli.database_url) as desk:
        assert Admin(desk).accounts.user_for_token(secret) is None
    assert [t["revoked"] for t in cli.json("user", "tokens")] == [True]
    assert [action for _, action, _ in audit_actions(cli)][-2:] == ["tokens.issue",
                                                                 "tokens.revoke"]


def test_a_token_may_expire_and_only_read(cli: Cli) -> None:
    cli.ok("user", "add", "ann", "--role", "admin", "--password", PASSWORD)

    cli.ok("user", "token", "ann", "--expires-days", "7", "--read-only")

    [token] = cli.json("user", "tokens")
    assert token["read_only"] is True
    assert token["expires_at"] is not None
    assert "never" not in cli.ok("user", "tokens")
    assert "expiry" in error_line(cli.run("user", "token", "ann", "--expires-days", "0"), 2)
    assert len(cli.json("user", "tokens")) == 1


def test_errors_are_one_line_with_the_kind_of_exit_code(cli: Cli) -> None:
    cli.ok("user", "add", "ann", "--role", "admin", "--password", PASSWORD)

    assert "only admin" in error_line(cli.run("user", "delete", "ann"), 1)
    assert "only admin" in error_line(cli.run("user", "role", "ann", "viewer"), 1)
    assert "exists already" in error_line(
        cli.run("user", "add", "ann", "--password", PASSWORD), 1)
    assert "no user named 'bob'" in error_line(cli.run("user", "delete", "bob"), 3)
    assert "no API token with id 7" in error_line(cli.run("user", "revoke", "7"), 3)
    assert "admin, operator, viewer" in error_line(
        cli.run("user", "add", "bob", "--role", "root", "--password", PASSWORD), 2)
    assert "8 to 1024" in error_line(cli.run("user", "add", "bob", "--password", "short"), 2)
    line = error_line(cli.run("user", "add", "bo\x1b[31mb", "--password", PASSWORD), 2)
    assert "\x1b" not in line
    assert "\\x1b" in line
    assert [u["name"] for u in users(cli)] == ["ann"]


def test_init_with_an_admin_user_is_repeatable(fresh: Cli) -> None:
    out = fresh.ok("init", "--admin-user", "root", "--admin-password", PASSWORD)
    assert "admin user root is ready" in out

    fresh.ok("user", "add", "ann", "--password", PASSWORD)
    result = fresh.run("init", "--admin-user", "ann",
                       extra_env={"TASKDESK_ADMIN_PASSWORD": "another password"})

    assert result.code == 0, result
    assert [(u["name"], u["role"]) for u in users(fresh)] == [("ann", "admin"),
                                                              ("root", "admin")]
    assert authenticates(fresh, "ann", "another password")
    assert authenticates(fresh, "root", PASSWORD)


def test_init_admin_user_without_a_password_creates_nothing(fresh: Cli) -> None:
    line = error_line(fresh.run("init", "--admin-user", "root"), 2)

    assert "TASKDESK_ADMIN_PASSWORD" in line
    assert not fresh.home.exists()
    assert "taskdesk init" in error_line(fresh.run("user", "list"), 4)
