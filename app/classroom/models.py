"""Classroom records: raw events, attendance spans, rollups, recordings and snapshots."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.core.models import id_field, tenant_field, utc_field
from app.core.types import UTCDateTime
from app.tenancy.models import TenantScopedFK

# JSONB on PostgreSQL (compact, indexable), JSON text on SQLite.
EventData = JSON().with_variant(JSONB(), "postgresql")


class ClassroomEvent(SQLModel, table=True):
    """One event the classroom service sent; (school, client id) makes a retry a no-op."""

    __tablename__ = "classroom_event"

    tenant_id: uuid.UUID = tenant_field()
    id: uuid.UUID = id_field()
    client_id: str = Field(max_length=128)
    lesson_id: uuid.UUID
    account_id: uuid.UUID = Field(foreign_key="account.id")
    at: datetime = utc_field()
    kind: str = Field(max_length=32)
    record_kind: str = Field(max_length=16)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(EventData, nullable=False))
    ip_prefix: str | None = Field(default=None, max_length=64)  # /24 or /48, never the address
    ip_hash: str | None = Field(default=None, max_length=64)  # keyed hash, for abuse analysis
    received_at: datetime = utc_field(default_now=True)

    __table_args__ = (
        TenantScopedFK.to("lesson", "lesson_id"),
        UniqueConstraint("tenant_id", "client_id"),
        Index("ix_classroom_event_lesson_at", "tenant_id", "lesson_id", "at", "id"),
        Index("ix_classroom_event_account_at", "tenant_id", "account_id", "at"),
        # The retention sweep walks one school's expired events of one category.
        Index("ix_classroom_event_record_kind_at", "tenant_id", "record_kind", "at", "id"),
    )


class AttendanceSpan(SQLModel, table=True):
    """Join -> leave of one person in one lesson; an open span is closed at the lesson's end."""

    __tablename__ = "attendance_span"

    tenant_id: uuid.UUID = tenant_field()
    id: uuid.UUID = id_field()
    lesson_id: uuid.UUID
    account_id: uuid.UUID = Field(foreign_key="account.id")
    joined_at: datetime = utc_field()
    left_at: datetime = utc_field()
    leave_reason: str | None = Field(default=None, max_length=32)
    closed_at_lesson_end: bool = Field(default=False)  # no leave event: closed by the lesson end

    __table_args__ = (
        TenantScopedFK.to("lesson", "lesson_id"),
        Index("ix_attendance_span_lesson", "tenant_id", "lesson_id", "account_id", "joined_at"),
    )


class LessonRollup(SQLModel, table=True):
    """Per lesson and participant, recomputed from the events whenever a batch touches them."""

    __tablename__ = "lesson_rollup"

    tenant_id: uuid.UUID = tenant_field()
    lesson_id: uuid.UUID = Field(primary_key=True)
    account_id: uuid.UUID = Field(primary_key=True, foreign_key="account.id")
    attended_seconds: int = Field(default=0)
    joins: int = Field(default=0)
    first_join: datetime | None = utc_field(nullable=True)
    last_leave: datetime | None = utc_field(nullable=True)
    hand_raises: int = Field(default=0)
    rewards: int = Field(default=0)
    speaking_ms: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    camera_seconds: int = Field(default=0)
    stage_seconds: int = Field(default=0)
    answers_correct: int = Field(default=0)
    answers_total: int = Field(default=0)
    counts: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Where the interval walk stopped (open intervals, closed seconds): lets in-order events
    # continue it instead of reading the pair's whole history again.
    walk: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    updated_at: datetime = utc_field(default_now=True)

    __table_args__ = (TenantScopedFK.to("lesson", "lesson_id"),)


class LessonFile(SQLModel, table=True):
    """A recording or monitoring snapshot of a lesson; the bytes live in the object store."""

    __tablename__ = "lesson_file"

    tenant_id: uuid.UUID = tenant_field()
    id: uuid.UUID = id_field()
    lesson_id: uuid.UUID
    kind: str = Field(max_length=16)  # recording | snapshot
    object_key: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size_bytes: int = Field(sa_column=Column(BigInteger, nullable=False))
    sha256: str = Field(max_length=64)
    duration_seconds: float | None = Field(default=None)
    notice_shown: bool = Field(default=False)  # participants saw the recording notice (CLS-5/6)
    uploaded_by: uuid.UUID | None = Field(default=None)  # a person; None when an API key sent it
    uploaded_by_key: uuid.UUID | None = Field(default=None)
    created_at: datetime = utc_field(default_now=True)

    __table_args__ = (
        TenantScopedFK.to("lesson", "lesson_id"),
        Index("ix_lesson_file_lesson", "tenant_id", "lesson_id", "kind", "id"),
    )


class RecordingGrant(SQLModel, table=True):
    """An explicit, expiring permission to watch one recording: to a person or a course."""

    __tablename__ = "recording_grant"

    tenant_id: uuid.UUID = tenant_field()
    id: uuid.UUID = id_field()
    recording_id: uuid.UUID
    account_id: uuid.UUID | None = Field(default=None, foreign_key="account.id")
    course_id: uuid.UUID | None = Field(default=None)
    expires_at: datetime = utc_field()
    created_by: uuid.UUID | None = Field(default=None)
    created_at: datetime = utc_field(default_now=True)
    revoked_at: datetime | None = utc_field(nullable=True)

    __table_args__ = (
        TenantScopedFK.to("lesson_file", "recording_id"),
        TenantScopedFK.to("course", "course_id"),
        Index("ix_recording_grant_recording", "tenant_id", "recording_id"),
    )


class IngestRateWindow(SQLModel, table=True):
    """Events a school's classroom services sent in one clock minute: the ingestion limit's count.

    Counted in the database so every API process shares one count (a per-process counter
    would let N workers take N times the limit).
    """

    __tablename__ = "ingest_rate_window"

    tenant_id: uuid.UUID = tenant_field()
    minute: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    events: int = Field(default=0)
