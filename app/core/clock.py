"""One place that says what time it is, so tests can move it."""

from __future__ import annotations

from datetime import UTC, datetime

_offset_seconds = 0.0


def now() -> datetime:
    from datetime import timedelta

    return datetime.now(UTC) + timedelta(seconds=_offset_seconds)


def advance(seconds: float) -> None:
    """Move the clock forward (tests only: expiry, rate windows)."""
    global _offset_seconds
    _offset_seconds += seconds


def reset() -> None:
    global _offset_seconds
    _offset_seconds = 0.0
