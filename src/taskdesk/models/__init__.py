"""The domain's values: frozen dataclasses and the rules that check them, without I/O.

The bottom layer: everything else may import it, and it imports nothing of taskdesk but
errors, clock and text (docs/architecture.md).
"""
