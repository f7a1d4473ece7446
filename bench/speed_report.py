"""bench/full_speed.py's report: the table on stdout (rows per backend, each figure beside its
target), the machine and settings under it, and on stderr what made a measurement invalid."""

from __future__ import annotations

from rich.console import Console, JustifyMethod
from rich.markup import escape
from rich.table import Table

from bench.options import console
from bench.targets import Row


def results_table(rows: dict[str, list[Row]], tasks: int) -> Table:
    table = Table(title=f"taskdesk at full speed, N = {tasks:,} tasks per measurement",
                  title_justify="left")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("backend", "left"), ("measurement", "left"), ("result", "right"), ("target", "right"),
        ("met", "left"), ("from", "left"))
    for header, justify in columns:
        table.add_column(header, justify=justify, no_wrap=header != "from")
    for backend, measured in rows.items():
        for index, row in enumerate(measured):
            table.add_row(backend if index == 0 else "", row.measurement, row.shown,
                          str(row.target) if row.target else "", row.verdict,
                          escape(row.detail), end_section=index == len(measured) - 1)
    return table


def report(rows: dict[str, list[Row]], tasks: int, under: list[str], err: Console) -> int:
    """Print the table and what is under it; 1 when a measurement did not do its work."""
    out = console()
    out.print(results_table(rows, tasks))
    for line in under:
        out.print(escape(line))
    problems = list(dict.fromkeys(problem for measured in rows.values() for row in measured
                                  for problem in row.problems))
    if not problems:
        return 0
    err.print(f"\n[bold red]BENCHMARK INVALID: {len(problems)} problem(s); the figures marked "
              "✗ FAILED mean nothing:[/]")
    for problem in problems:
        err.print(f"[red]✗[/] {escape(problem)}")
    return 1
