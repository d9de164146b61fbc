"""Courses, lessons, enrolments, guardianships and the school's consent attestations."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import id_field, tenant_field, utc_field
from app.tenancy.models import Guardianship as Guardianship  # moved to tenancy (#10)
from app.tenancy.models import TenantScopedFK


class CourseStatus(StrEnum):
    active = "active"
    archived = "archived"
    inactive = "inactive"


class LessonStatus(StrEnum):
    scheduled = "scheduled"
    live = "live"
    ended = "ended"
    cancelled = "cancelled"


class Course(SQLModel, table=True):
    tenant_id: uuid.UUID = tenant_field()
    id: uuid.UUID = id_field()
    code: str = Field(max_length=64)
    name: str = Field(max_length=200)
    subject: str | None = Field(default=None, max_length=100)
    term: str | None = Field(default=None, max_length=100)
    starts_on: date
    ends_on: date
    status: str = Field(default=CourseStatus.active, max_length=16)
    source_id: str | None = Field(default=None, max_length=255)
    created_at: datetime = utc_field(default_now=True)
    # The OneRoster file's class fields, its course and terms, kept to give them back.
    oneroster: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))

    __table_args__ = (UniqueConstraint("tenant_id", "code"),)


class Lesson(SQLModel, table=True):
    tenant_id: uuid.UUID = tenant_field()
    id: uuid.UUID = id_field()
    course_id: uuid.UUID
    title: str = Field(max_length=200)
    starts_at: datetime = utc_field()
    duration_minutes: int
    teacher_id: uuid.UUID | None = Field(default=None, foreign_key="account.id")
    status: str = Field(default=LessonStatus.scheduled, max_length=16)
    actual_start: datetime | None = utc_field(nullable=True)
    actual_end: datetime | None = utc_field(nullable=True)
    recording_notice_shown: bool = Field(default=False)
    created_at: datetime = utc_field(default_now=True)

    __table_args__ = (
        TenantScopedFK.to("course", "course_id"),
        Index("ix_lesson_course_start", "tenant_id", "course_id", "starts_at"),
        Index("ix_lesson_teacher_start", "tenant_id", "teacher_id", "starts_at"),
    )


class Enrollment(SQLModel, table=True):
    tenant_id: uuid.UUID = tenant_field()
    id: uuid.UUID = id_field()
    course_id: uuid.UUID
    account_id: uuid.UUID = Field(foreign_key="account.id")
    role: str = Field(max_length=16)
    status: str = Field(default="active", max_length=16)  # active | removed
    source_id: str | None = Field(default=None, max_length=255)
    created_at: datetime = utc_field(default_now=True)
    removed_at: datetime | None = utc_field(nullable=True)
    # The OneRoster file's beginDate, endDate and primary, kept to give them back.
    oneroster: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))

    __table_args__ = (
        TenantScopedFK.to("course", "course_id"),
        UniqueConstraint("tenant_id", "course_id", "account_id", "role"),
        Index("ix_enrollment_account", "tenant_id", "account_id", "status"),
    )


class ConsentAttestation(SQLModel, table=True):
    """The school's statement that the person (or guardian) agreed: the basis of processing."""

    tenant_id: uuid.UUID = tenant_field()
    id: uuid.UUID = id_field()
    membership_id: uuid.UUID
    account_id: uuid.UUID = Field(foreign_key="account.id")
    given_by: str = Field(max_length=16)  # self | guardian
    guardian_id: uuid.UUID | None = Field(default=None, foreign_key="account.id")
    method: str = Field(max_length=32)  # paper_form | in_person | online | school_import
    notice_version: str = Field(max_length=32)
    given_at: datetime = utc_field()
    attested_by: uuid.UUID | None = Field(default=None)
    created_at: datetime = utc_field(default_now=True)

    __table_args__ = (TenantScopedFK.to("membership", "membership_id"),)


class RosterIssueKind(StrEnum):
    membership_disputed = "membership_disputed"  # the person says they never agreed
    wrong_enrollment = "wrong_enrollment"  # the person says they are in the wrong course
    minor_without_consent = "minor_without_consent"  # MIN-7: no guardian consent, reported


class RosterIssue(SQLModel, table=True):
    """An open item for the school's admins, raised by the person the roster is about."""

    tenant_id: uuid.UUID = tenant_field()
    id: uuid.UUID = id_field()
    kind: str = Field(max_length=32)
    account_id: uuid.UUID = Field(foreign_key="account.id")
    membership_id: uuid.UUID | None = Field(default=None)
    enrollment_id: uuid.UUID | None = Field(default=None)
    note: str | None = Field(default=None, max_length=1000)
    status: str = Field(default="open", max_length=16)  # open | resolved
    created_at: datetime = utc_field(default_now=True)
    resolved_at: datetime | None = utc_field(nullable=True)
    resolved_by: uuid.UUID | None = Field(default=None)
    outcome: str | None = Field(default=None, max_length=32)  # how the school settled it
    rights_request_id: uuid.UUID | None = Field(default=None)  # the deletion it started (MIN-8)

    __table_args__ = (Index("ix_rosterissue_status", "tenant_id", "status", "id"),)


class RosterSource(SQLModel, table=True):
    """The OneRoster school org a school imports from: a bulk file only retires its records."""

    tenant_id: uuid.UUID = tenant_field()
    id: uuid.UUID = id_field()
    org_source_id: str = Field(max_length=255)
    org_name: str | None = Field(default=None, max_length=200)
    # The org's identifier and metadata.* columns, to give back in the export.
    oneroster: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    last_import_at: datetime = utc_field(default_now=True)


class ImportRunStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class ImportRun(SQLModel, table=True):
    """A large roster file applied by a job, so the admin's page can follow it. The file is
    kept only until the run ends; the plan and row errors stay."""

    __tablename__ = "roster_import_run"

    tenant_id: uuid.UUID = tenant_field()
    id: uuid.UUID = id_field()
    status: str = Field(default=ImportRunStatus.queued, max_length=16)
    data: bytes | None = Field(default=None, sa_column=Column(LargeBinary(), nullable=True))
    size_bytes: int
    created_by: uuid.UUID = Field(foreign_key="account.id")
    request_id: str | None = Field(default=None, max_length=64)
    plan: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON(), nullable=True))
    errors: list[dict[str, Any]] | None = Field(
        default=None, sa_column=Column(JSON(), nullable=True)
    )
    created_at: datetime = utc_field(default_now=True)
    started_at: datetime | None = utc_field(nullable=True)
    finished_at: datetime | None = utc_field(nullable=True)
