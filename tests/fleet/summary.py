"""The one line each fleet scenario prints, as the chaos test prints its own."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Summary:
    scenario: str
    tasks: int
    hosts: int
    cuts: int = 0
    kills: int = 0
    recovered: int = 0
    duplicates: int = 0
    lost: int
    extra: str = ""  # the scenario's own figures
    seconds: float
    busy_cpu_seconds: float = 0.0  # the machine's, over the measured window, where measured

    def line(self) -> str:
        extra = f" {self.extra}" if self.extra else ""
        return (f"fleet {self.scenario}: tasks={self.tasks} hosts={self.hosts} "
                f"cuts={self.cuts} kills={self.kills} recovered={self.recovered} "
                f"duplicates={self.duplicates}{extra} lost = {self.lost} "
                f"({self.seconds:.1f} s)")
