"""`python -m taskdesk extension …` sees an extension that an installed distribution provides
through an entry point, installs it, and `start` runs its task."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.extensions.support import seed_files, write_entry_point_distribution

REPO_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60.0
MESSAGE = "tp_ext task ran through the CLI"

pytestmark = pytest.mark.slow


def taskdesk(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "taskdesk", *args], cwd=REPO_ROOT, env=env,
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )


def ok(env: dict[str, str], *args: str) -> str:
    result = taskdesk(env, *args)
    assert result.returncode == 0, result
    return result.stdout


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    site = tmp_path / "site"
    write_entry_point_distribution(site, package="tp_ext_pkg", distribution="tp-ext-pkg",
                                   code="tp_ext", files=seed_files("tp_ext", message=MESSAGE))
    values = {key: value for key, value in os.environ.items()
              if not key.startswith("TASKDESK_") and key not in ("PYTHONPATH", "COLUMNS")}
    values.update(PYTHONPATH=str(site), TASKDESK_HOME=str(tmp_path / "home"))
    return values


def listed(env: dict[str, str]) -> dict[str, dict[str, object]]:
    rows = json.loads(ok(env, "extension", "list", "--json"))
    assert isinstance(rows, list)
    return {row["code"]: row for row in rows}


def test_cli_lists_installs_and_runs_an_entry_point_extension(env: dict[str, str],
                                                               tmp_path: Path) -> None:
    ok(env, "init")

    row = listed(env)["tp_ext"]
    assert row["source"] == "tp-ext-pkg"
    assert row["problem"] is None
    assert row["modules"] == [{"type": "module", "code": "tp_ext", "installed": False}]

    assert "installed module/tp_ext of tp_ext" in ok(env, "extension", "install", "tp_ext")
    assert listed(env)["tp_ext"]["modules"] == [
        {"type": "module", "code": "tp_ext", "installed": True}]

    ok(env, "start", "--quiet")

    log = (tmp_path / "home" / "logs" / "error.log").read_text()
    assert log.splitlines()[-1].endswith(f" - {MESSAGE}")

    refused = taskdesk(env, "extension", "remove", "tp_ext")
    assert refused.returncode != 0
    assert "comes from the Python package tp-ext-pkg" in refused.stderr
    assert "Traceback" not in refused.stderr
