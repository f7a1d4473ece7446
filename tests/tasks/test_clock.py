"""clock: UTC now, ISO 8601 with 'Z', and parsing times with or without an offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from taskdesk.clock import isoformat, parse_moment, utcnow


def test_utcnow_is_aware_utc() -> None:
    assert utcnow().tzinfo is UTC


def test_isoformat_none() -> None:
    assert isoformat(None) is None


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 1, 1, 12, 0, tzinfo=UTC), "2026-01-01T12:00:00Z"),
        (datetime(2026, 1, 1, 12, 0, 0, 5, tzinfo=UTC), "2026-01-01T12:00:00.000005Z"),
        (datetime(2026, 1, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))),
         "2026-01-01T12:00:00Z"),
        (datetime(2025, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=-1))),
         "2026-01-01T00:30:00Z"),
    ],
)
def test_isoformat_is_utc_with_z(moment: datetime, text: str) -> None:
    assert isoformat(moment) == text


@pytest.mark.parametrize(
    "text",
    ["2026-01-01T12:00:00Z", "2026-01-01T12:00:00+00:00", "2026-01-01T14:00:00+02:00",
     "2026-01-01 12:00:00", " 2026-01-01T12:00:00 ", "2026-01-01T07:00:00-05:00"],
)
def test_parse_moment_gives_utc(text: str) -> None:
    moment = parse_moment(text)

    assert moment == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert moment.utcoffset() == timedelta(0)


def test_parse_moment_round_trips_isoformat() -> None:
    moment = datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=UTC)
    text = isoformat(moment)

    assert text is not None
    assert parse_moment(text) == moment


def test_parse_moment_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="Invalid isoformat"):
        parse_moment("next tuesday")
