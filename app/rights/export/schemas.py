"""What the export endpoints answer."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel


class ExportAccepted(BaseModel):
    id: uuid.UUID
    status: str


class ExportOut(BaseModel):
    id: uuid.UUID
    status: str
    account_id: uuid.UUID
    requested_by: uuid.UUID
    language: str
    created_at: datetime
    finished_at: datetime | None
    size_bytes: int | None
    sha256: str | None
    files: dict[str, int]  # file name -> rows, once ready
    schools: list[str]  # the schools whose data the zip holds, once ready
