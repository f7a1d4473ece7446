"""The fleet's admin harness (tests/fleet/admin.py): `taskdesk serve` on host 1, inside its
namespace on its subnet address, driven through its JSON API with a bearer token: the seed's
package uploaded and installed there registers its task in the shared database (read by the
test directly), the API lists it, uninstalling removes it, and a wrong token is refused. (The
seed's whole workflow across hosts is tests/fleet/test_seed_workflow.py.)"""

from __future__ import annotations

from pathlib import Path

from tests.acceptance.test_seed_workflow import seed_package
from tests.fleet.admin import serve
from tests.fleet.harness import Fleet

MY_TASK = "SELECT count(*) FROM task WHERE code = 'my_task' AND status = 'pending'"


def test_the_admin_served_on_a_host_answers_its_api_with_a_token(
        fleet: Fleet, tmp_path: Path) -> None:
    with serve(fleet, "host1") as admin:
        uploaded = admin.call("POST", "/api/extensions/upload",
                              upload=seed_package(tmp_path), expect=201)
        assert uploaded["code"] == "test_module"
        installed = admin.call("POST", "/api/extensions/test_module/install")
        assert installed["modules"] == ["module/test_module"], installed
        assert fleet.db.scalar(MY_TASK) == 1, "install() added my_task in the shared database"
        assert "my_task" in {task["code"] for task in tasks_of(admin.call("GET", "/api/tasks"))}
        admin.call("GET", "/api/tasks", token="not-a-token", expect=401)
        admin.remove_extensions()
        assert fleet.db.scalar(MY_TASK) == 0, "uninstall() deleted it"
        assert admin.call("GET", "/api/extensions") == []
    assert admin.process.poll() is not None, "the server stopped with the block"


def tasks_of(listing: object) -> list[dict[str, object]]:
    """The tasks of a /api/tasks answer (a list, or a page with its items)."""
    if isinstance(listing, dict):
        listing = next(value for value in listing.values() if isinstance(value, list))
    assert isinstance(listing, list), listing
    return listing
