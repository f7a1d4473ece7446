"""taskdesk.app_path: a child process opens its application from what its runner passes (the
application's class and import path), never importing the front door itself."""

from __future__ import annotations

import pytest

from taskdesk.app import Taskdesk
from taskdesk.app_path import import_path_of, load_app, open_app, preload
from taskdesk.config import Settings
from taskdesk.errors import ConfigError


def test_a_child_without_an_import_path_opens_a_new_application_with_the_settings(
        settings: Settings) -> None:
    app = open_app(settings.evolve(app=""), Taskdesk)
    try:
        assert isinstance(app, Taskdesk)
        assert app.settings == settings.evolve(app="")
        assert app.handlers.names() == []
    finally:
        app.close()


def test_a_child_given_no_application_class_says_so(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="no application was given to open"):
        open_app(settings, None)


def test_an_import_path_to_something_else_is_refused_by_its_class() -> None:
    with pytest.raises(ConfigError, match=r"'tests.apps.shop:report' is not a Taskdesk "
                                          r"\(found TaskDefinition\)"):
        load_app("tests.apps.shop:report", Taskdesk)


def test_an_import_path_that_does_not_import_says_why() -> None:
    with pytest.raises(ConfigError, match=r"cannot import the application 'tests.apps.nowhere:x'"):
        load_app("tests.apps.nowhere:x", Taskdesk)


def test_an_application_is_found_again_through_its_tasks_modules() -> None:
    from tests.apps import shop

    assert import_path_of(shop.desk) == "tests.apps.shop:desk"
    assert load_app("tests.apps.shop:desk", Taskdesk) is shop.desk


def test_a_forkserver_preloads_the_applications_class_and_module(settings: Settings) -> None:
    assert preload(settings.evolve(app="tests.apps.shop:desk"), Taskdesk) == [
        "taskdesk.app", "tests.apps.shop"]
    assert preload(settings.evolve(app=""), None) == []
