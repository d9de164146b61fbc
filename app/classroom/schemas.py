"""Request and response shapes of the classroom endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, model_validator


class IngestAnswer(BaseModel):
    accepted: int
    duplicates: int
    dropped: int


class PersonOut(BaseModel):
    id: uuid.UUID
    display_name: str | None
    phone_masked: str


class EventOut(BaseModel):
    id: uuid.UUID
    client_id: str
    lesson: uuid.UUID
    user: uuid.UUID
    at: datetime
    kind: str
    record_kind: str
    data: dict[str, Any]
    ip_prefix: str | None = None


class SpanOut(BaseModel):
    id: uuid.UUID
    user: PersonOut
    joined_at: datetime
    left_at: datetime
    seconds: int
    leave_reason: str | None
    closed_at_lesson_end: bool


class RollupOut(BaseModel):
    user: PersonOut
    minutes: float
    joins: int
    first_join: datetime | None
    last_leave: datetime | None
    hand_raises: int
    rewards: int
    speaking_seconds: float
    camera_seconds: int
    stage_seconds: int
    answers_correct: int
    answers_total: int
    counts: dict[str, int]


class FileOut(BaseModel):
    id: uuid.UUID
    lesson: uuid.UUID
    kind: str
    content_type: str
    size_bytes: int
    sha256: str
    duration_seconds: float | None
    notice_shown: bool
    uploaded_by: uuid.UUID | None
    created_at: datetime


class LinkOut(BaseModel):
    url: str
    expires_at: datetime


class GrantCreate(BaseModel):
    phone: str | None = Field(default=None, max_length=32)
    course_id: uuid.UUID | None = None
    expires_at: AwareDatetime

    @model_validator(mode="after")
    def _one_grantee(self) -> GrantCreate:
        if (self.phone is None) == (self.course_id is None):
            raise ValueError("give exactly one of phone or course_id")
        return self


class GrantOut(BaseModel):
    id: uuid.UUID
    recording_id: uuid.UUID
    account_id: uuid.UUID | None
    course_id: uuid.UUID | None
    expires_at: datetime
    created_at: datetime
    revoked_at: datetime | None = None
    status: Literal["active", "expired", "revoked"] = "active"
