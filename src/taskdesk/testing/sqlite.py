"""An application's desk on a throwaway SQLite database file for a block.

Unlike a memory store, a file is a real database that others can open: the application's own
SQLAlchemy engine on the same URL (`desk.settings.database_url`), so `using(connection=…)`
enqueues inside the application's transaction as in production; and the child process of a
task with a `timeout=` or `process=True`, which opens the same file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from taskdesk.app import Taskdesk

DATA_FOLDER = "taskdesk-home"  # beside the database: the block's error log and extensions


@contextmanager
def on_sqlite(desk: Taskdesk, path: Path | str, *,
              home: Path | None = None) -> Iterator[Taskdesk]:
    """Point an application's desk at the SQLite database at `path` for the block (created,
    with taskdesk's schema, if it is not there), and its data folders at `home` (default:
    `taskdesk-home` beside the file); then close it and give the desk back its own store and
    settings. The file is left for the caller (a test's tmp_path) to remove."""
    path = Path(path).resolve()
    settings = desk.settings.evolve(database_url=f"sqlite:///{path}",
                                    home=home or path.parent / DATA_FOLDER)
    previous = desk._swap(None, settings)
    try:
        desk.init()
        yield desk
    finally:
        desk.close()
        desk._swap(*previous)
