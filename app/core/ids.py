"""Opaque, time-ordered ids (UUIDv7): not guessable in sequence, index-friendly."""

from __future__ import annotations

import uuid

import uuid_utils


def new_id() -> uuid.UUID:
    return uuid.UUID(int=uuid_utils.uuid7().int)


def parse_id(value: str) -> uuid.UUID | None:
    """An id from a path or a body, or None when it is not one (answered as 404 by callers)."""
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return None
