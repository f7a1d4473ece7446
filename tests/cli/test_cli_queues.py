"""`task add --queue`, `task list --queue`, and `start --queue` running only those queues;
a bad queue name is one clear error that changes nothing."""

from __future__ import annotations

from pathlib import Path

from tests.cli.harness import Cli, error_line, record_args, recorded


def test_add_and_list_by_queue(cli: Cli) -> None:
    mailed = cli.add("mail", "tests.support.handlers:noop", "--queue", "mail")
    plain = cli.add("plain", "tests.support.handlers:noop")

    assert (mailed["queue"], plain["queue"]) == ("mail", "default")
    assert [t["code"] for t in cli.tasks("--queue", "mail")] == ["mail"]
    assert "mail" in cli.ok("task", "list").splitlines()[2 + 2]  # the queue column


def test_start_with_queues_runs_only_theirs(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "ran"
    for n, queue in enumerate(["a", "b", "c", "a"]):
        cli.add(f"t{n}", "tests.support.handlers:record", "--args", record_args(out, n),
                "--queue", queue)

    cli.ok("start", "--quiet", "--queue", "a", "--queue", "c")

    assert sorted(recorded(out)) == ["0", "2", "3"]
    assert [t["code"] for t in cli.tasks("--status", "pending")] == ["t1"]


def test_a_bad_queue_is_one_clear_error_and_changes_nothing(cli: Cli) -> None:
    bad_name = cli.run("task", "add", "x", "tests.support.handlers:noop", "--queue", "no spaces")
    bad_cap = cli.run("worker", "--queue", "a:0")

    assert "bad queue name 'no spaces'" in error_line(bad_name, 2)
    assert "bad queue cap in 'a:0'" in error_line(bad_cap, 2)
    assert cli.tasks() == []
