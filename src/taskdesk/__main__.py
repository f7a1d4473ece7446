"""`python -m taskdesk` is the `taskdesk` command."""

from __future__ import annotations

from taskdesk.cli import main

if __name__ == "__main__":
    main()
