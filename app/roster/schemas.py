"""Requests and answers of the roster API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from app.core.fields import ApiDate, ApiDateTime, ApiInput

AgeBandIn = Literal["under14", "14to17", "adult"]
PersonRoleIn = Literal["teacher", "assistant", "student", "guardian"]
CourseRoleIn = Literal["teacher", "assistant", "student"]


class Consent(ApiInput):
    """The school's attestation that the person (or their guardian) agreed (PRX-2)."""

    given_by: Literal["self", "guardian"]
    method: Literal["paper_form", "in_person", "online"]
    notice_version: str = Field(max_length=32, description="the notice version shown")
    given_at: ApiDateTime = Field(description="when consent was given; not in the future")


class MemberCreate(ApiInput):
    phone: str | None = Field(
        default=None,
        max_length=32,
        examples=["13800000201"],
        description="none for a student registered under guardian_phone (no login of their own)",
    )
    role: PersonRoleIn
    display_name: str | None = Field(default=None, max_length=200)
    age_band: AgeBandIn | None = Field(
        default=None, description="students: required; under14 needs guardian_phone"
    )
    guardian_phone: str | None = Field(default=None, max_length=32)
    consent: Consent


class OwnPhone(ApiInput):
    phone: str = Field(max_length=32, examples=["13800000231"])


class ChildPhone(OwnPhone):
    """The child's own number and the code `POST /v1/auth/otp` sent to it."""

    code: str = Field(min_length=4, max_length=12, examples=["123456"])


class MemberOut(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    role: str
    status: str
    display_name: str | None
    phone_masked: str
    age_band: str | None = None
    created_at: datetime
    status_reason: str | None = None
    confirmed_at: datetime | None = None


class StatusChange(ApiInput):
    multiline: ClassVar[frozenset[str]] = frozenset({"reason"})
    reason: str = Field(min_length=1, max_length=500)


class CourseCreate(ApiInput):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    subject: str | None = Field(default=None, max_length=100)
    term: str | None = Field(default=None, max_length=100)
    starts_on: ApiDate
    ends_on: ApiDate


class CourseOut(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    subject: str | None
    term: str | None
    starts_on: date
    ends_on: date
    status: str
    created_at: datetime


class LessonCreate(ApiInput):
    title: str = Field(min_length=1, max_length=200)
    starts_at: ApiDateTime
    duration_minutes: int
    teacher_phone: str | None = Field(default=None, max_length=32)


class LessonUpdate(ApiInput):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    starts_at: ApiDateTime | None = None
    duration_minutes: int | None = None
    status: Literal["scheduled", "live", "ended", "cancelled"] | None = None


class LessonOut(BaseModel):
    id: uuid.UUID
    course_id: uuid.UUID
    title: str
    starts_at: datetime
    duration_minutes: int
    teacher_id: uuid.UUID | None
    status: str
    actual_start: datetime | None
    actual_end: datetime | None


class EnrollmentEntry(ApiInput):
    phone: str = Field(max_length=32)
    role: CourseRoleIn
    display_name: str | None = Field(default=None, max_length=200)
    age_band: AgeBandIn | None = Field(
        default=None, description="new students; without it a new student counts as under 14"
    )
    guardian_phone: str | None = Field(default=None, max_length=32)


class EnrollmentBatch(ApiInput):
    entries: list[EnrollmentEntry] = Field(min_length=1, max_length=1000)
    consent: Consent | None = Field(
        default=None, description="required when an entry is not yet a member of the school"
    )


Outcome = Literal["enrolled", "already_enrolled", "registered_and_enrolled"]


class EnrollmentOutcome(BaseModel):
    index: int
    phone_masked: str
    role: str
    outcome: Outcome
    enrollment_id: uuid.UUID
    membership_id: uuid.UUID


class EnrollmentBatchOut(BaseModel):
    course_id: uuid.UUID
    outcomes: list[EnrollmentOutcome]


class EnrollmentOut(BaseModel):
    id: uuid.UUID
    course_id: uuid.UUID
    account_id: uuid.UUID
    role: str
    status: str
    display_name: str | None
    phone_masked: str
    created_at: datetime


class IssueNote(ApiInput):
    multiline: ClassVar[frozenset[str]] = frozenset({"note"})
    note: str | None = Field(default=None, max_length=1000)


class RosterIssueOut(BaseModel):
    id: uuid.UUID
    kind: str
    account_id: uuid.UUID
    membership_id: uuid.UUID | None
    enrollment_id: uuid.UUID | None
    note: str | None
    status: str
    created_at: datetime
    resolved_at: datetime | None
    outcome: str | None = None
    rights_request_id: uuid.UUID | None = None


class EntityPlan(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0


class SkippedRow(BaseModel):
    """A row `on_error=skip` left out: its own error, or a row it depends on is in error."""

    file: str
    line: int
    column: str | None
    message: str


class ImportPlan(BaseModel):
    format: str
    dry_run: bool
    on_error: Literal["abort", "skip"] = "abort"
    courses: EntityPlan = Field(default_factory=EntityPlan)
    people: EntityPlan = Field(default_factory=EntityPlan)
    enrollments: EntityPlan = Field(default_factory=EntityPlan)
    guardianships: EntityPlan = Field(default_factory=EntityPlan)
    # Rows of other orgs in a district's file, by file: left out, never errors.
    not_this_school: dict[str, int] = Field(default_factory=dict)
    # What the import retires, named before anything is written: kind -> "sourcedId: why".
    retiring: dict[str, list[str]] = Field(default_factory=dict)
    notices: list[str] = Field(default_factory=list)
    # Under on_error=skip: every row left out, with the rows that depend on it.
    skipped: list[SkippedRow] = Field(default_factory=list)
