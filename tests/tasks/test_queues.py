"""Queue names and caps: what is refused, with one clear message, and what is accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskdesk.errors import BadQueue
from taskdesk.models.queues import QueueLimit, check_queue, queue_limits
from taskdesk.testing import memory_desk


@pytest.mark.parametrize("name", ["", "a b", "a:b", "é", "x" * 65, "a\x00", "\ud800", "a/b"])
def test_bad_queue_names_are_refused(name: str) -> None:
    with pytest.raises(BadQueue, match="queue name"):
        check_queue(name)


def test_good_queue_names_pass() -> None:
    assert [check_queue(n) for n in ("a", "mail-out", "v1.2_x", "x" * 64)] == [
        "a", "mail-out", "v1.2_x", "x" * 64]


def test_limits_parse_names_and_caps() -> None:
    assert queue_limits(["mail:2", "reports"]) == (
        QueueLimit(name="mail", cap=2), QueueLimit(name="reports"))


@pytest.mark.parametrize("text", ["mail:0", "mail:x", "mail:", "mail:65", ":2"])
def test_bad_caps_are_refused(text: str) -> None:
    with pytest.raises(BadQueue):
        queue_limits([text])


def test_a_queue_named_twice_is_refused() -> None:
    with pytest.raises(BadQueue, match="more than once"):
        queue_limits(["a", "a:2"])


def test_add_and_definitions_take_a_queue_and_refuse_a_bad_one(tmp_path: Path) -> None:
    desk = memory_desk(home=tmp_path)

    @desk.task(name="tests.queues:noop", queue="mail")
    def noop() -> None: ...

    assert noop.enqueue().queue == "mail"
    assert noop.using(queue_name="bulk").enqueue().queue == "bulk"
    assert desk.tasks.add("plain", "tests.queues:noop").queue == "default"
    with pytest.raises(BadQueue):
        desk.tasks.add("bad", "tests.queues:noop", queue="no spaces")
    with pytest.raises(BadQueue):
        noop.using(queue_name="a:b")
    assert desk.tasks.count() == 3
    assert [t.code for t in desk.tasks.list_tasks(queue="bulk")] == ["tests.queues:noop"]
