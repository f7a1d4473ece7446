"""Throughput of no-op tasks on 1, 2 and 3 worker hosts sharing one PostgreSQL, on the fleet
harness of tests/fleet (network namespaces on a private subnet, a scratch cluster on the
database host; root only). Each task records its execution, and each run is checked as the
fleet test checks it: every task ran exactly once.

    sudo .venv/bin/python -m bench.fleet [--tasks 5000] [--concurrency 2]

On one machine the hosts share its cores: the ratio says how far the database and the claims
let several hosts scale, bounded by the cores this machine has. The last two columns say where
that bound is: how many of the machine's cores were busy (hosts and database together), and
the tasks done per busy core-second. Where the latter holds steady as hosts are added, the
claims add no contention of their own and throughput grows with the cores the hosts bring.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from rich.table import Table
from tests.fleet.cluster import NoPostgres
from tests.fleet.harness import close_fleet, open_fleet
from tests.fleet.network import NoNamespaces
from tests.fleet.summary import Summary
from tests.fleet.throughput import run_throughput

from bench.options import console, exit_on_sigterm, positive

HOST_COUNTS = (1, 2, 3)


def table(summaries: list[Summary]) -> Table:
    """hosts, tasks, seconds, tasks/s and the ratio to one host, one row per run."""
    result = Table(title="taskdesk fleet: no-op tasks on N hosts, one PostgreSQL")
    for column in ("hosts", "tasks", "seconds", "tasks/s", "ratio to 1 host", "cores busy",
                   "tasks per busy core-second"):
        result.add_column(column, justify="right")
    base = summaries[0].tasks / summaries[0].seconds
    for summary in summaries:
        rate = summary.tasks / summary.seconds
        busy = summary.busy_cpu_seconds
        result.add_row(str(summary.hosts), f"{summary.tasks:,}", f"{summary.seconds:.2f}",
                       f"{rate:,.0f}", f"{rate / base:.2f}", f"{busy / summary.seconds:.2f}",
                       f"{summary.tasks / busy:,.0f}" if busy else "-")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tasks", type=positive, default=5_000)
    parser.add_argument("--concurrency", type=positive, default=2, help="threads per host")
    args = parser.parse_args()
    out, err = console(), console(stderr=True)
    if os.geteuid() != 0:
        err.print("[bold red]error:[/] the fleet's network namespaces need root")
        sys.exit(1)
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    try:
        fleet = open_fleet(hosts=max(HOST_COUNTS))
    except (NoNamespaces, NoPostgres) as error:
        err.print(f"[bold red]error:[/] cannot build the fleet here: {error}")
        sys.exit(1)
    try:
        summaries = []
        for hosts in HOST_COUNTS:
            summaries.append(run_throughput(fleet, hosts, args.tasks, args.concurrency))
            err.print(summaries[-1].line())
    finally:
        close_fleet(fleet)
    out.print(table(summaries))
    out.print(f"threads per host: {args.concurrency}; cores on this machine: {os.cpu_count()}")


if __name__ == "__main__":
    main()
