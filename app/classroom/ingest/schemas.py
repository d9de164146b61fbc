"""Answer of an event batch."""

from __future__ import annotations

from pydantic import BaseModel


class IngestAnswer(BaseModel):
    accepted: int
    duplicates: int
    dropped: int
