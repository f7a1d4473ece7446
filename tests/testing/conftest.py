"""The plugin's fixtures as an application's suite uses them: `taskdesk_app` names its desk."""

from __future__ import annotations

import pytest

from taskdesk import Taskdesk
from tests.testing import shop


@pytest.fixture
def taskdesk_app() -> Taskdesk:
    return shop.desk
