"""`taskdesk extension …`: Extensions > Installer (upload, remove) and Extensions > Extensions
(list, install, uninstall), plus `build` for extension authors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from taskdesk.admin import Admin
from taskdesk.cli.context import administered, desk_of
from taskdesk.cli.output import console, new_table, print_json, shown
from taskdesk.errors import BadInput
from taskdesk.text import visible
from taskdesk.views import ExtensionView

app = typer.Typer(help="Upload, install, uninstall and remove extensions.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
Code = Annotated[str, typer.Argument(help="The extension's code.")]
Module = Annotated[str | None, typer.Option(help="Only this module: TYPE/CODE or CODE.")]


@app.command()
def upload(
    ctx: typer.Context,
    package: Annotated[Path, typer.Argument(help="The extension's zip.")],
    upgrade: Annotated[bool, typer.Option(help="Replace an uploaded extension.")] = False,
) -> None:
    """Check a package and unpack it into the extensions folder (Extensions > Installer)."""
    with administered(ctx) as admin:
        extension = admin.extensions.upload(package, upgrade=upgrade)
    modules = ", ".join(f"{m['type']}/{m['code']}" for m in extension["modules"]) or "none"
    verb = "upgraded" if upgrade else "uploaded"
    console.print(visible(f"{verb} {extension['code']} {extension['version']} "
                          f"(modules: {modules})"))
    if not any(module["installed"] for module in extension["modules"]):
        console.print(visible(f"install it with: taskdesk extension install {extension['code']}"))


@app.command()
def link(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="The extension's working copy.")],
) -> None:
    """Use an extension's working copy where it is, while you write it (remove only unlinks)."""
    with administered(ctx) as admin:
        extension = admin.extensions.link(folder)
    console.print(visible(f"linked {extension['code']} to {folder}"))


@app.command("list")
def list_(ctx: typer.Context, json_: JsonFlag = False) -> None:
    """Every extension, its modules and whether they are installed."""
    with administered(ctx) as admin:
        rows = admin.extensions.all()
    if json_:
        print_json(rows)
        return
    table = new_table(f"{len(rows)} extensions",
                      ("code", "name", "version", "source", "modules", "problem"),
                      wide=("problem",))
    for row in rows:
        table.add_row(*(shown(value) for value in _cells(row)))
    console.print(table)
    console.print("✓ installed")


def _cells(row: ExtensionView) -> tuple[str, ...]:
    modules = ", ".join(f"{m['type']}/{m['code']}" + (" ✓" if m["installed"] else "")
                        for m in row["modules"])
    return (row["code"], row["name"], row["version"], row["source"], modules,
            row["problem"] or "")


@app.command()
def install(ctx: typer.Context, code: Code, module: Module = None) -> None:
    """Run the modules' install() (Extensions > Extensions > Install)."""
    with administered(ctx) as admin:
        done = admin.extensions.install(code, module)
    console.print(_changed("installed", code, done))


@app.command()
def uninstall(ctx: typer.Context, code: Code, module: Module = None) -> None:
    """Run the modules' uninstall()."""
    with administered(ctx) as admin:
        done = admin.extensions.uninstall(code, module)
    console.print(_changed("uninstalled", code, done["modules"]))
    if done["tasks_deleted"]:
        console.print(f"deleted {done['tasks_deleted']} waiting task(s) of {code}")


def _changed(verb: str, code: str, done: list[str]) -> str:
    if not done:
        return visible(f"nothing to do: {code} is already {verb}")
    return visible(f"{verb} {', '.join(done)} of {code}")


@app.command()
def remove(ctx: typer.Context, code: Code) -> None:
    """Delete an uploaded extension whose modules are all uninstalled."""
    with administered(ctx) as admin:
        console.print(visible(admin.extensions.remove(code)))


@app.command()
def build(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="The extension's folder (with install.json).")],
    output: Annotated[Path, typer.Option(help="Where to write <code>.zip.")] = Path("."),
) -> None:
    """Zip an extension's folder into an uploadable package, and check it."""
    if output.exists() and not output.is_dir():
        raise BadInput(f"--output {output} is a file: give the folder to write the zip in")
    console.print(visible(f"built {Admin(desk_of(ctx)).build_package(folder, output)}"))
