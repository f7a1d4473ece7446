"""An allowed module that, like most modules, imports other things (tests/tasks)."""

from __future__ import annotations

import os  # noqa: F401 (what an import path must not reach through: handlers_allow:os.system)
from shutil import rmtree  # noqa: F401 (nor this, though it is an attribute of the module)

from tests.tasks.handlers_elsewhere import Elsewhere  # noqa: F401 (a class from elsewhere)


def fine() -> str:
    return "ran"
