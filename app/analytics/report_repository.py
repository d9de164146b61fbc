"""Report queries: aggregates by lesson in the database; every one takes the school."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Float, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.classroom.models import ClassroomEvent, LessonRollup
from app.roster.models import Course, Enrollment, Lesson

DIAGNOSTICS = "diagnostics.sample"


def _student_of_the_lesson() -> Any:
    """Joins a rollup to its lesson's active student enrolment (teachers are not counted)."""
    return and_(
        col(Enrollment.tenant_id) == col(LessonRollup.tenant_id),
        col(Enrollment.course_id) == col(Lesson.course_id),
        col(Enrollment.account_id) == col(LessonRollup.account_id),
        col(Enrollment.role) == "student",
        col(Enrollment.status) == "active",
    )


def _lesson_of_rollup() -> Any:
    return and_(
        col(Lesson.tenant_id) == col(LessonRollup.tenant_id),
        col(Lesson.id) == col(LessonRollup.lesson_id),
    )


async def courses(session: AsyncSession, tenant_id: uuid.UUID, visible: Any) -> list[Course]:
    query = (
        select(Course).where(col(Course.tenant_id) == tenant_id, visible).order_by(col(Course.code))
    )
    return list((await session.execute(query)).scalars())


async def enrolled(
    session: AsyncSession, tenant_id: uuid.UUID, course_ids: Sequence[uuid.UUID], role: str
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(course, person) of the active enrolments in `role`."""
    if not course_ids:
        return []
    query = select(col(Enrollment.course_id), col(Enrollment.account_id)).where(
        col(Enrollment.tenant_id) == tenant_id,
        col(Enrollment.course_id).in_(course_ids),
        col(Enrollment.role) == role,
        col(Enrollment.status) == "active",
    )
    return [(c, a) for c, a in (await session.execute(query)).all()]


async def presence_by_lesson(
    session: AsyncSession, tenant_id: uuid.UUID, lesson_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, int]]:
    """Per lesson: (enrolled students who came, enrolled students who were on stage)."""
    if not lesson_ids:
        return {}
    came = func.sum(case((col(LessonRollup.joins) > 0, 1), else_=0))
    staged = func.sum(case((col(LessonRollup.stage_seconds) > 0, 1), else_=0))
    query = (
        select(col(LessonRollup.lesson_id), came, staged)
        .join(Lesson, _lesson_of_rollup())
        .join(Enrollment, _student_of_the_lesson())
        .where(
            col(LessonRollup.tenant_id) == tenant_id, col(LessonRollup.lesson_id).in_(lesson_ids)
        )
        .group_by(col(LessonRollup.lesson_id))
    )
    return {
        row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in (await session.execute(query)).all()
    }


async def diagnostics_by_lesson(
    session: AsyncSession, tenant_id: uuid.UUID, lesson_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, float | None, float | None]]:
    """Per lesson: (samples, mean latency ms, mean packet loss): sums, never a device."""
    if not lesson_ids:
        return {}
    data: Any = ClassroomEvent.data
    latency = func.avg(data["latency_ms"].as_float().cast(Float))
    loss = func.avg(data["packet_loss"].as_float().cast(Float))
    query = (
        select(col(ClassroomEvent.lesson_id), func.count(), latency, loss)
        .where(
            col(ClassroomEvent.tenant_id) == tenant_id,
            col(ClassroomEvent.kind) == DIAGNOSTICS,
            col(ClassroomEvent.lesson_id).in_(lesson_ids),
        )
        .group_by(col(ClassroomEvent.lesson_id))
    )
    return {
        row[0]: (
            int(row[1]),
            None if row[2] is None else float(row[2]),
            None if row[3] is None else float(row[3]),
        )
        for row in (await session.execute(query)).all()
    }


async def teacher_rollups(
    session: AsyncSession, tenant_id: uuid.UUID, lesson_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, dict[str, int]]]:
    """(teacher, counts) of each lesson's own teacher: their actions, courseware, tools."""
    if not lesson_ids:
        return []
    query = (
        select(col(LessonRollup.account_id), col(LessonRollup.counts))
        .join(Lesson, _lesson_of_rollup())
        .where(
            col(LessonRollup.tenant_id) == tenant_id,
            col(LessonRollup.lesson_id).in_(lesson_ids),
            col(LessonRollup.account_id) == col(Lesson.teacher_id),
        )
    )
    return [(a, dict(c or {})) for a, c in (await session.execute(query)).all()]


async def student_rollups(
    session: AsyncSession, tenant_id: uuid.UUID, lesson_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, uuid.UUID, int, int, int, dict[str, int]]]:
    """(lesson, student, attended seconds, joins, hand raises, counts) of enrolled students."""
    if not lesson_ids:
        return []
    query = (
        select(
            col(LessonRollup.lesson_id),
            col(LessonRollup.account_id),
            col(LessonRollup.attended_seconds),
            col(LessonRollup.joins),
            col(LessonRollup.hand_raises),
            col(LessonRollup.counts),
        )
        .join(Lesson, _lesson_of_rollup())
        .join(Enrollment, _student_of_the_lesson())
        .where(
            col(LessonRollup.tenant_id) == tenant_id, col(LessonRollup.lesson_id).in_(lesson_ids)
        )
    )
    return [
        (r[0], r[1], r[2], r[3], r[4], dict(r[5] or {}))
        for r in (await session.execute(query)).all()
    ]
