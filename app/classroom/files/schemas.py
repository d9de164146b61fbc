"""Request and response shapes of recordings, snapshots and recording grants."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from app.classroom.models import LessonFile, RecordingGrant
from app.core import clock
from app.core.fields import ApiDateTime, ApiInput


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

    @classmethod
    def of(cls, file: LessonFile) -> FileOut:
        return cls(
            id=file.id,
            lesson=file.lesson_id,
            kind=file.kind,
            content_type=file.content_type,
            size_bytes=file.size_bytes,
            sha256=file.sha256,
            duration_seconds=file.duration_seconds,
            notice_shown=file.notice_shown,
            uploaded_by=file.uploaded_by,
            created_at=file.created_at,
        )


class LinkOut(BaseModel):
    url: str
    expires_at: datetime


class GrantCreate(ApiInput):
    phone: str | None = Field(default=None, max_length=32)
    course_id: uuid.UUID | None = None
    expires_at: ApiDateTime

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

    @classmethod
    def of(cls, grant: RecordingGrant) -> GrantOut:
        if grant.revoked_at is not None:
            status: Literal["active", "expired", "revoked"] = "revoked"
        else:
            status = "expired" if grant.expires_at <= clock.now() else "active"
        return cls(
            id=grant.id,
            recording_id=grant.recording_id,
            account_id=grant.account_id,
            course_id=grant.course_id,
            expires_at=grant.expires_at,
            created_at=grant.created_at,
            revoked_at=grant.revoked_at,
            status=status,
        )
