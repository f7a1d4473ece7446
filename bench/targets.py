"""Issue 9 item 9's targets, and one measured figure beside its target: the rows of
bench/full_speed.py's table."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bench.measure import Rate

#: (backend, measurement) → target. Measurements without one are shown for context.
RATES_AT_LEAST = {
    ("sqlite", "processed by 1 worker"): 4_000.0,
    ("sqlite", "processed by 2 workers"): 6_000.0,
    ("sqlite", "add_many() of N"): 50_000.0,
    ("postgres", "processed by 1 worker"): 3_000.0,
    ("postgres", "processed by 2 workers"): 5_000.0,
    ("postgres", "add() one by one"): 2_500.0,
    ("postgres", "add_many() of N"): 30_000.0,
}
P50_MS = 2.0  # add→start, both backends
P99_MS = 10.0


@dataclass(frozen=True)
class Target:
    bound: float
    at_least: bool  # True: the figure must be ≥ bound; False: ≤ bound
    unit: str  # "/s" or " ms"

    def met(self, value: float) -> bool:
        if math.isnan(value):
            return False
        return value >= self.bound if self.at_least else value <= self.bound

    def __str__(self) -> str:
        return f"{'≥' if self.at_least else '≤'} {_number(self.bound, self.unit)}"


@dataclass(frozen=True)
class Row:
    """One measured figure: what it is, its value, its target (if any), what it came from."""

    measurement: str
    value: float
    unit: str  # "/s", " ms" or " %"
    detail: str = ""
    target: Target | None = None
    problems: tuple[str, ...] = ()

    @property
    def shown(self) -> str:
        return "—" if self.problems else _number(self.value, self.unit)

    @property
    def verdict(self) -> str:
        if self.problems:
            return "[bold red]✗ FAILED[/]"
        if self.target is None:
            return ""
        return "[green]✓[/]" if self.target.met(self.value) else "[red]✗[/]"


def rate_row(backend: str, measurement: str, rate: Rate, detail: str = "") -> Row:
    bound = RATES_AT_LEAST.get((backend, measurement))
    target = Target(bound, True, "/s") if bound is not None else None
    shown = detail or f"{rate.count:,} in {rate.seconds:.2f} s"
    return Row(measurement, rate.per_second, "/s", shown, target, rate.problems)


def latency_target(share: float) -> Target:
    return Target(P50_MS if share == 0.5 else P99_MS, False, " ms")


def _number(value: float, unit: str) -> str:
    if unit == "/s":
        return f"{value:,.0f}/s"
    return f"{value:,.2f}{unit}" if value < 100 else f"{value:,.0f}{unit}"
