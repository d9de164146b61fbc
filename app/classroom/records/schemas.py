"""Response shapes of a lesson's records: events, attendance spans, rollups."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from app.classroom.models import AttendanceSpan, ClassroomEvent, LessonRollup


class PersonOut(BaseModel):
    id: uuid.UUID
    display_name: str | None
    phone_masked: str

    @classmethod
    def of(cls, row: Any) -> PersonOut:
        """From a row carrying the person columns of `records.repository`."""
        return cls(
            id=row.person_id,
            display_name=row.school_name or row.account_name,
            phone_masked=row.phone_masked,
        )


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

    @classmethod
    def of(cls, event: ClassroomEvent) -> EventOut:
        return cls(
            id=event.id,
            client_id=event.client_id,
            lesson=event.lesson_id,
            user=event.account_id,
            at=event.at,
            kind=event.kind,
            record_kind=event.record_kind,
            data=event.data,
            ip_prefix=event.ip_prefix,
        )


class SpanOut(BaseModel):
    id: uuid.UUID
    user: PersonOut
    joined_at: datetime
    left_at: datetime
    seconds: int
    leave_reason: str | None
    closed_at_lesson_end: bool

    @classmethod
    def of(cls, span: AttendanceSpan, person: PersonOut) -> SpanOut:
        return cls(
            id=span.id,
            user=person,
            joined_at=span.joined_at,
            left_at=span.left_at,
            seconds=round((span.left_at - span.joined_at).total_seconds()),
            leave_reason=span.leave_reason,
            closed_at_lesson_end=span.closed_at_lesson_end,
        )


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

    @classmethod
    def of(cls, rollup: LessonRollup, person: PersonOut) -> RollupOut:
        return cls(
            user=person,
            minutes=round(rollup.attended_seconds / 60, 2),
            joins=rollup.joins,
            first_join=rollup.first_join,
            last_leave=rollup.last_leave,
            hand_raises=rollup.hand_raises,
            rewards=rollup.rewards,
            speaking_seconds=rollup.speaking_ms / 1000,
            camera_seconds=rollup.camera_seconds,
            stage_seconds=rollup.stage_seconds,
            answers_correct=rollup.answers_correct,
            answers_total=rollup.answers_total,
            counts=rollup.counts,
        )
