"""`taskdesk queue list|pause|resume`: a paused queue's tasks are left by `start` while the
others run, `queue list --json` says so with each queue's counts, a resume lets `start` run
them; an empty queue can be paused; a bad name is one clear error that changes nothing."""

from __future__ import annotations

from pathlib import Path

from tests.cli.harness import Cli, error_line, record_args, recorded


def test_a_paused_queue_waits_while_start_runs_the_others(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "ran"
    for n, queue in enumerate(["mail", "default", "mail"]):
        cli.add(f"t{n}", "tests.support.handlers:record", "--args", record_args(out, n),
                "--queue", queue)

    said = cli.ok("queue", "pause", "mail")
    cli.ok("start", "--quiet")

    assert "paused queue mail: its 2 waiting tasks wait" in said
    assert recorded(out) == ["1"]
    listed = {q["queue"]: q for q in cli.json("queue", "list", "--json")}
    assert sorted(listed) == ["mail"]  # default holds no task any more
    assert (listed["mail"]["waiting"], listed["mail"]["paused"]) == (2, True)
    assert listed["mail"]["paused_by"] == "cli"
    assert listed["mail"]["oldest_waiting_seconds"] >= 0
    table = cli.ok("queue", "list")
    assert "mail" in table
    assert "since" in table

    resumed = cli.json("queue", "resume", "mail", "--json")
    cli.ok("start", "--quiet")

    assert resumed["paused"] is False
    assert sorted(recorded(out)) == ["0", "1", "2"]
    assert cli.json("queue", "list", "--json") == []


def test_an_empty_queue_can_be_paused_and_pausing_twice_changes_nothing(cli: Cli) -> None:
    first = cli.json("queue", "pause", "later", "--json")
    again = cli.json("queue", "pause", "later", "--json")

    assert first == again
    assert (first["queue"], first["waiting"], first["paused"]) == ("later", 0, True)
    assert [q["queue"] for q in cli.json("queue", "list", "--json")] == ["later"]


def test_a_bad_queue_name_is_one_clear_error_and_changes_nothing(cli: Cli) -> None:
    for verb in ("pause", "resume"):
        result = cli.run("queue", verb, "no spaces")
        assert "bad queue name 'no spaces'" in error_line(result, 2)
    assert cli.json("queue", "list", "--json") == []
