"""Issue 9 item 9's targets, and one measured figure beside its target: the rows of
bench/full_speed.py's table."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bench.measure import Rate

#: (backend, measurement) → target (issue 9's processing rates; issue 14 measures the workers
#: against the peers in bench/peers.py). Measurements without one are shown for context.
RATES_AT_LEAST = {
    ("sqlite", "processed by 1 worker"): 4_000.0,
    ("sqlite", "processed by 2 workers"): 6_000.0,
    ("sqlite", "add_many() of N"): 50_000.0,
    ("postgres", "processed by 1 worker"): 3_000.0,
    ("postgres", "processed by 2 workers"): 5_000.0,
    ("postgres", "add_many() of N"): 30_000.0,
}
#: Issue 14: add() one by one is one insert and one commit, so at least this share of the raw
#: driver's durable INSERT+COMMIT rate measured in the same run.
ADD_SHARE_OF_DURABLE = 0.9
#: Issue 14: add→start with idle workers, in ms: p50 by backend, p99 on both.
P50_MS = {"sqlite": 2.0, "postgres": 3.0}
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


def latency_target(backend: str, share: float) -> Target:
    return Target(P50_MS[backend] if share == 0.5 else P99_MS, False, " ms")


def add_row(rate: Rate, durable: float) -> Row:
    """add() one by one, its target ADD_SHARE_OF_DURABLE of this run's durable insert rate."""
    share = f", {rate.per_second / durable:.0%} of the durable insert rate" if durable else ""
    target = Target(ADD_SHARE_OF_DURABLE * durable, True, "/s") if durable else None
    return Row("add() one by one", rate.per_second, "/s",
               f"{rate.count:,} in {rate.seconds:.2f} s{share}", target, rate.problems)


def _number(value: float, unit: str) -> str:
    if unit == "/s":
        return f"{value:,.0f}/s"
    return f"{value:,.2f}{unit}" if value < 100 else f"{value:,.0f}{unit}"
