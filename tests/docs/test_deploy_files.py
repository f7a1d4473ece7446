"""The deployment files (Dockerfile, deploy/systemd, deploy/kubernetes) say only what is true:
every taskdesk command they run parses with the CLI as it is, every TASKDESK_ variable is a
setting, every probe is a route of the admin, and the Dockerfile copies files that exist.
No container builder runs here, so these checks are what keeps the recipes honest."""

from __future__ import annotations

import configparser
import re
import shlex
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from taskdesk import Settings
from taskdesk.cli import app
from taskdesk.config import ENV_PREFIX
from taskdesk.web.routes import ROUTES

REPO = Path(__file__).resolve().parents[2]
SETTINGS = {ENV_PREFIX + field.name.upper() for field in fields(Settings)}
CLI: Any = typer.main.get_command(app)  # a group: its sub-commands by name


def parses(argv: list[str]) -> None:
    """`taskdesk …` as the CLI would read it (options, types, ranges), without running it."""
    assert argv[0].endswith("taskdesk"), argv
    command = CLI.commands[argv[1]]
    command.make_context(argv[1], argv[2:])


def kubernetes_documents() -> list[dict[str, Any]]:
    return [document for path in sorted((REPO / "deploy" / "kubernetes").glob("*.yaml"))
            for document in yaml.safe_load_all(path.read_text()) if document]


def containers() -> list[dict[str, Any]]:
    return [container for document in kubernetes_documents() if document["kind"] == "Deployment"
            for container in document["spec"]["template"]["spec"]["containers"]]


def test_the_dockerfile_copies_what_exists_and_runs_a_real_command() -> None:
    text = (REPO / "Dockerfile").read_text()
    for copied in re.findall(r"^COPY (.+) \S+$", text, re.MULTILINE):
        assert all((REPO / name).exists() for name in copied.split()), copied
    extras = re.findall(r"'\.\[(\w+)\]'", text)
    assert extras == ["postgres"]
    assert "postgres" in (REPO / "pyproject.toml").read_text()
    command = re.search(r"^CMD (\[.*\])$", text, re.MULTILINE)
    assert command is not None
    parses(yaml.safe_load(command.group(1)))


@pytest.mark.parametrize("unit", sorted((REPO / "deploy" / "systemd").glob("*.service")),
                         ids=lambda path: path.name)
def test_each_systemd_unit_runs_a_real_command_with_real_settings(unit: Path) -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(unit.read_text())
    parses(shlex.split(parser["Service"]["ExecStart"]))
    names = [line.split("=", 1)[0] for line in parser["Service"]["Environment"].splitlines()]
    assert [n for n in names if n.startswith(ENV_PREFIX) and n not in SETTINGS] == []


def test_each_kubernetes_container_runs_a_real_command_with_real_settings() -> None:
    found = containers()
    assert {container["command"][1] for container in found} == {"worker", "serve"}
    for container in found:
        parses(container["command"])
        names = {variable["name"] for variable in container["env"]}
        assert names - SETTINGS == set()


def test_the_probes_ask_routes_the_admin_serves_and_the_budget_covers_the_workers() -> None:
    paths = {route.path for route in ROUTES}
    probes = [container[probe]["httpGet"]["path"] for container in containers()
              for probe in ("readinessProbe", "livenessProbe") if probe in container]
    assert probes
    assert set(probes) <= paths
    labels = {document["metadata"]["name"]: document["spec"]["selector"]["matchLabels"]
              for document in kubernetes_documents()
              if document["kind"] in ("Deployment", "PodDisruptionBudget")}
    budgets = [d for d in kubernetes_documents() if d["kind"] == "PodDisruptionBudget"]
    assert [labels[b["metadata"]["name"]] for b in budgets] == [labels["taskdesk-worker"]]


@pytest.mark.parametrize(("argv", "why"), [
    (["taskdesk", "worker", "--threads", "4"], "No such option: --threads"),
    (["taskdesk", "worker", "--concurrency", "99"], "less than or equal to 64"),
])
def test_a_bad_command_is_caught(argv: list[str], why: str) -> None:
    """The check itself: what the CLI would refuse fails to parse here too."""
    with pytest.raises(typer.exceptions.TyperException, match=why):
        parses(argv)
