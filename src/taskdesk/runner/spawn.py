"""Start `taskdesk start` as a detached background process, as OpenCart's Run Tasks button
does with `php index.php start &`: a new session, no terminal, output to the runner log."""

from __future__ import annotations

import os
import subprocess
import sys

from taskdesk.config import Settings


def spawn_start(settings: Settings) -> subprocess.Popen[bytes]:
    """The background runner; returns at once. It gets these settings (the application to
    load among them) through its environment. Its parent polls it, or it stays a zombie."""
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **settings.to_env()}
    with settings.runner_log.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "taskdesk", "start"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
