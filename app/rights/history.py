"""The status history of a request or part: who did each step, when, and why."""

from __future__ import annotations

import uuid

from app.core import clock
from app.rights.models import RightsRequest, SchoolRightsRequest


def step(
    status: str,
    by: uuid.UUID | None,
    by_kind: str,
    note: str | None = None,
    exception: str | None = None,
) -> dict[str, object]:
    entry: dict[str, object] = {
        "status": str(status),
        "at": clock.now().isoformat(),
        "by": str(by) if by else None,
        "by_kind": by_kind,
        "note": note,
    }
    if exception:
        entry["exception"] = exception
    return entry


def append(row: RightsRequest | SchoolRightsRequest, entry: dict[str, object]) -> None:
    row.history = [*row.history, entry]  # a new list, so the JSON column is written
