"""How much the CLI logs: TASKDESK_LOG_LEVEL, or --verbose (on the command, or on a runner's
own command line where people type it: `taskdesk worker --verbose`). At INFO a runner logs
one line per ended attempt; at DEBUG also what it retries and skips."""

from __future__ import annotations

import logging
import os

from taskdesk.errors import ConfigError
from taskdesk.text import visible

LOG_LEVEL_VARIABLE = "TASKDESK_LOG_LEVEL"
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(*, verbose: bool) -> None:
    """Log to stderr at TASKDESK_LOG_LEVEL (default warning); --verbose means at least info."""
    level = level_from_env()
    if verbose:
        level = min(level, logging.INFO)
    logging.basicConfig(level=level, format=FORMAT)
    logging.getLogger().setLevel(level)  # basicConfig keeps the level of a configured root


def be_verbose() -> None:
    """A runner's --verbose: at least INFO from here on."""
    root = logging.getLogger()
    root.setLevel(min(root.getEffectiveLevel(), logging.INFO))


def level_from_env() -> int:
    """TASKDESK_LOG_LEVEL as a logging level; a name that is not one is refused."""
    text = os.environ.get(LOG_LEVEL_VARIABLE, "").strip().lower()
    if not text:
        return logging.WARNING
    if text not in LEVELS:
        raise ConfigError(f"{LOG_LEVEL_VARIABLE}={visible(text)!s} is not a level: use one of "
                          f"{', '.join(LEVELS)}")
    return LEVELS[text]
