"""Benchmarks of taskdesk: `python -m bench.throughput` (see bench/README.md)."""

from __future__ import annotations
