"""Schedules: recurring rules (a cron expression or an OpenCart-style cycle) that add one
task per firing. rule.py computes firings, model.py holds the records, firing.py claims due
firings atomically, service.py is the front door's `desk.schedules` (see docs/schedules.md)."""
