"""Fixtures of the extension tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.extensions.support import isolated_extension_modules


@pytest.fixture(autouse=True)
def _forget_extension_modules() -> Iterator[None]:
    """Each test imports its extensions afresh: no controller module outlives its test."""
    with isolated_extension_modules():
        yield
