"""Issue 14, item 37: at a phone's 390 px every admin page fits the screen (nothing wider than
the viewport, so nothing is hidden off its edge), even with a very long name without spaces,
and the Install button of Extensions is on screen; item 27 seen in a browser: a traceback's
lines are lines. A screenshot of each page is saved (never committed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Page, ViewportSize, expect

from tests.browser.conftest import Server
from tests.browser.session import logged_in, shot
from tests.extensions.support import manifest, module_source, write_extension, zip_folder

PHONE: ViewportSize = {"width": 390, "height": 844}
LONG = "x" * 120  # a name without a single place to break it
CODE = "phone_" + "y" * 58  # an extension code and module code, as long and unbroken


def cli(server: Server, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "taskdesk", *args], env=server.env,
                          check=True, capture_output=True, text=True)
    return done.stdout


def long_named_package(folder: Path) -> Path:
    source = write_extension(folder / CODE, CODE, {
        f"admin/controller/module/{CODE}.py": module_source(
            "".join(part.capitalize() for part in CODE.split("_"))),
    }, install_json=manifest(CODE, name=LONG, author=LONG, link="https://example.org/" + LONG,
                             version="1.0.0-" + "z" * 40))
    return zip_folder(source, folder / f"{CODE}.zip")


def fits(page: Page, path: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{path} is {width} px wide at {PHONE['width']} px"


def test_every_page_fits_a_phone(server: Server, tmp_path: Path) -> None:
    cli(server, "extension", "upload", str(long_named_package(tmp_path)))
    cli(server, "task", "add", LONG, "tests.support.handlers:boom",
        "--args", json.dumps({"message": LONG + "\nsecond line"}), "--max-attempts", "1")
    cli(server, "start")
    [task] = json.loads(cli(server, "task", "list", "--json"))
    pages = ["/", "/installer", "/extensions", "/tasks", "/tasks/log",
             f"/tasks/{task['task_id']}", "/error-log", "/users", "/audit"]
    with logged_in(server, viewport=PHONE) as (page, _):
        expect(page.locator(".navbar-toggler")).to_be_visible()
        for path in pages:
            page.goto(f"{server.url}{path}")
            page.wait_for_load_state("networkidle")
            shot(page, f"phone{path.replace('/', '-')}")
            fits(page, path)

        page.goto(f"{server.url}/extensions")
        install = page.locator(f"tr[data-module='module/{CODE}'] button:has-text('Install')")
        expect(install).to_be_in_viewport()

        page.goto(f"{server.url}/tasks/{task['task_id']}")
        traceback = page.locator("pre.code-block").nth(1).inner_text()
        assert "Traceback (most recent call last):\n" in traceback
        assert "\\n" not in traceback
