"""contained(): run a step whose failure must not stop the runner (releasing claims,
unregistering, expiring leases on the way out, checking the clock), and log the failure
instead. The database being away is an expected failure (one line); anything else is logged
with its traceback."""

from __future__ import annotations

import logging
from collections.abc import Callable

from taskdesk.errors import TaskdeskError

logger = logging.getLogger(__name__)


def contained(step: Callable[[], object]) -> None:
    """Run `step`; a failure is logged, never raised."""
    try:
        step()
    except TaskdeskError as error:
        logger.warning("runner.step_failed %s", error)
    except Exception:
        logger.exception("runner.step_failed")
