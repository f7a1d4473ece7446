"""parse_action: the two action forms, their parts, and every rejection."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taskdesk.errors import BadAction
from taskdesk.models.actions import (
    DEFAULT_METHOD,
    MAX_ACTION_LENGTH,
    SIDES,
    ImportPath,
    Route,
    TaskName,
    parse_action,
)


def test_seed_route() -> None:
    parsed = parse_action("task/catalog/test_module.task")

    assert parsed == Route(side="catalog", extension="test_module", controller="task",
                           method="index")
    assert isinstance(parsed, Route)
    assert parsed.class_name == "Task"


def test_route_with_method() -> None:
    parsed = parse_action("task/admin/test_module.task.cleanup")

    assert parsed == Route(side="admin", extension="test_module", controller="task",
                           method="cleanup")


def test_nested_controller() -> None:
    parsed = parse_action("task/admin/ext.backup/table.page")

    assert parsed == Route(side="admin", extension="ext", controller="backup/table",
                           method="page")
    assert isinstance(parsed, Route)
    assert parsed.class_name == "Table"


def test_nested_controller_without_method_runs_index() -> None:
    parsed = parse_action("task/catalog/ext.backup/table")

    assert parsed == Route(side="catalog", extension="ext", controller="backup/table",
                           method=DEFAULT_METHOD)


@pytest.mark.parametrize(
    ("controller", "class_name"),
    [
        ("task", "Task"),
        ("test_module", "TestModule"),
        ("backup/table", "Table"),
        ("a/b/send_mail_now", "SendMailNow"),
        ("report2", "Report2"),
    ],
)
def test_class_name_is_camel_case_of_the_file(controller: str, class_name: str) -> None:
    route = Route(side="catalog", extension="ext", controller=controller, method="index")

    assert route.class_name == class_name


@pytest.mark.parametrize(
    ("text", "module", "qualname"),
    [
        ("pkg.mod:func", "pkg.mod", "func"),
        ("pkg.mod:Class.method", "pkg.mod", "Class.method"),
        ("mod:Thing", "mod", "Thing"),
        ("Pkg_1.sub_2:Outer.Inner.call", "Pkg_1.sub_2", "Outer.Inner.call"),
    ],
)
def test_import_paths(text: str, module: str, qualname: str) -> None:
    assert parse_action(text) == ImportPath(module=module, qualname=qualname)


@pytest.mark.parametrize("text", ["send_welcome", "emails.welcome", "Reports-v2", "_x", "pkg.mod"])
def test_anything_else_is_a_task_name(text: str) -> None:
    assert parse_action(text) == TaskName(text)


def test_an_action_of_the_longest_length_is_accepted() -> None:
    text = "m:" + "f" * (MAX_ACTION_LENGTH - 2)

    assert parse_action(text) == ImportPath(module="m", qualname="f" * (MAX_ACTION_LENGTH - 2))


def test_empty_action_is_rejected() -> None:
    with pytest.raises(BadAction, match="empty"):
        parse_action("")


def test_too_long_action_is_rejected() -> None:
    text = "m:" + "f" * (MAX_ACTION_LENGTH - 1)

    with pytest.raises(BadAction, match=str(MAX_ACTION_LENGTH)):
        parse_action(text)


@pytest.mark.parametrize(
    "text",
    [
        "task/site/test_module.task",  # bad side
        "task/Catalog/test_module.task",  # uppercase side
        "task/catalog/Test_module.task",  # uppercase extension
        "task/catalog/test_module.Task",  # uppercase controller
        "task/catalog/test_module.task.Index",  # uppercase method
        "task/catalog/test_module",  # missing dot
        "task/catalog/test_module.",  # trailing dot
        "task/catalog/test_module.task.",  # trailing dot after the controller
        "task/catalog/test module.task",  # space
        "task/catalog/test_module.task ",  # trailing space
        " task/catalog/test_module.task",  # leading space
        "task/catalog/1module.task",  # name starting with a digit
        "task/catalog/ext.backup//table",  # empty segment
        "task/catalog/ext.backup/table/",  # trailing slash
        "task/catalog/ext.a.b.c",  # two methods
        "task/catalog/ext-x.task",  # hyphen
        "task/catalog/test_module.task\n",  # trailing newline
        "task/catalog/x.task._private",  # a private method (issue 14, item 35)
        "task/catalog/x.task.__init__",  # a dunder method
        "task/",
        "a:b:c",
        "../x",
        "../x:y",
        "1name",  # a task name starts with a letter or _
        "name with space",
        "emails/welcome",
        "pkg.mod:",
        ":func",
        "pkg..mod:func",
        "pkg.mod:func.",
        "pkg.mod:func()",
        "pkg/mod:func",
        "1pkg:func",
        "pkg.mod: func",
        "pkg.mod:func\n",
    ],
)
def test_rejections_name_the_action(text: str) -> None:
    with pytest.raises(BadAction) as caught:
        parse_action(text)

    assert repr(text) in caught.value.message


# -- properties ------------------------------------------------------------------------

_ACTION_ALPHABET = st.sampled_from(list("task/catalogdmin.:_-Z09 \n\\é"))
_ACTIONISH = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=_ACTION_ALPHABET, max_size=60),
    st.text(alphabet=_ACTION_ALPHABET, max_size=60).map(lambda tail: "task/" + tail),
)


@settings(max_examples=100, deadline=None)
@given(_ACTIONISH)
def test_any_string_parses_or_raises_bad_action(text: str) -> None:
    try:
        parsed: object = parse_action(text)
    except BadAction as error:
        parsed = error
    assert isinstance(parsed, Route | ImportPath | TaskName | BadAction)
    if isinstance(parsed, BadAction):
        assert parsed.message


_NAME = st.from_regex(r"[a-z_][a-z0-9_]{0,11}", fullmatch=True)
_IDENTIFIER = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,11}", fullmatch=True)
_METHOD = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)  # public: no leading _


@settings(max_examples=100, deadline=None)
@given(
    side=st.sampled_from(SIDES),
    extension=_NAME,
    segments=st.lists(_NAME, min_size=1, max_size=3),
    method=st.none() | _METHOD,
)
def test_generated_routes_round_trip(side: str, extension: str, segments: list[str],
                                     method: str | None) -> None:
    controller = "/".join(segments)
    text = f"task/{side}/{extension}.{controller}" + (f".{method}" if method else "")

    parsed = parse_action(text)

    assert parsed == Route(side=side, extension=extension, controller=controller,
                           method=method or DEFAULT_METHOD)


@settings(max_examples=50, deadline=None)
@given(extension=_NAME, controller=_NAME, method=_NAME.map(lambda name: f"_{name}"))
def test_generated_private_methods_are_refused(extension: str, controller: str,
                                               method: str) -> None:
    with pytest.raises(BadAction, match="starts with '_'"):
        parse_action(f"task/catalog/{extension}.{controller}.{method}")


@settings(max_examples=100, deadline=None)
@given(
    module=st.lists(_IDENTIFIER, min_size=1, max_size=3),
    qualname=st.lists(_IDENTIFIER, min_size=1, max_size=3),
)
def test_generated_import_paths_round_trip(module: list[str], qualname: list[str]) -> None:
    text = f"{'.'.join(module)}:{'.'.join(qualname)}"

    assert parse_action(text) == ImportPath(module=".".join(module),
                                            qualname=".".join(qualname))
