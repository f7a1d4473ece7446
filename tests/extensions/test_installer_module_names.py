"""Issue 7, item 14: a module type longer than 32 characters or a module code longer than 128
(the `extension` table's columns) is refused at upload, and by install on every database
alike, instead of failing only on PostgreSQL with "value too long"."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskdesk.config import Settings
from taskdesk.errorlog import ErrorLog
from taskdesk.errors import BadPackage, ExtensionError
from taskdesk.extensions.catalogue import Catalogue
from taskdesk.extensions.installer import Installer
from taskdesk.extensions.lifecycle import Lifecycle
from taskdesk.extensions.loader import ControllerLoader
from taskdesk.store import MemoryStore, Store
from tests.extensions.support import (
    manifest,
    module_source,
    unique_code,
    write_extension,
    write_zip,
)

pytestmark = pytest.mark.hostile

LONG_TYPE = "t" * 33
LONG_CODE = "c" * 129


def class_of(code: str) -> str:
    return "".join(part.capitalize() for part in code.split("_"))


@pytest.mark.parametrize(("module_type", "module_code", "pattern"), [
    (LONG_TYPE, "ok", rf"module type {LONG_TYPE!r} is longer than 32 characters"),
    ("module", LONG_CODE, rf"module code {LONG_CODE!r} is longer than 128 characters"),
])
def test_an_overlong_module_name_is_refused_at_upload(
    settings: Settings, tmp_path: Path, module_type: str, module_code: str, pattern: str,
) -> None:
    source = write_zip(tmp_path / "seed.zip", [
        ("install.json", manifest("seed")),
        (f"admin/controller/{module_type}/{module_code}.py",
         module_source(class_of(module_code))),
    ])

    with pytest.raises(BadPackage, match=pattern):
        Installer(settings, Catalogue(settings.extensions_dir), MemoryStore()).upload(source)

    assert not (settings.extensions_dir / "seed").exists()


def test_the_longest_allowed_names_upload_and_install(store: Store, settings: Settings,
                                                      tmp_path: Path) -> None:
    code = unique_code("long")
    module_type, module_code = "t" * 32, "c" * 128
    source = write_zip(tmp_path / f"{code}.zip", [
        ("install.json", manifest(code)),
        (f"admin/controller/{module_type}/{module_code}.py",
         module_source(class_of(module_code))),
    ])
    catalogue = Catalogue(settings.extensions_dir)
    Installer(settings, catalogue, store).upload(source)
    lifecycle = Lifecycle(catalogue, ControllerLoader(catalogue.locate), store, settings,
                          ErrorLog(settings.error_log))

    assert [ref.name for ref in lifecycle.install(code)] == [f"{module_type}/{module_code}"]


def test_an_overlong_module_put_there_by_hand_is_refused_by_install_on_every_database(
    store: Store, settings: Settings,
) -> None:
    code = unique_code("long")
    write_extension(settings.extensions_dir / code, code, {
        f"admin/controller/{LONG_TYPE}/ok.py": module_source("Ok")})
    catalogue = Catalogue(settings.extensions_dir)
    lifecycle = Lifecycle(catalogue, ControllerLoader(catalogue.locate), store, settings,
                          ErrorLog(settings.error_log))

    with pytest.raises(ExtensionError, match=r"module type 't{33}' is longer than 32"):
        lifecycle.install(code)

    assert store.installed_modules(code) == []
