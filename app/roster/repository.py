"""Queries on a school's courses and lessons. Always per school, always within a visibility."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, literal
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.repository import get_in_school, in_school, page_by_key
from app.core.types import UTCDateTime
from app.roster.models import Course, Lesson, LessonStatus


def keyset(query: Any, keys: Sequence[Any], after: Sequence[Any] | None, fetch: int) -> Any:
    """`core.repository.page_by_key` for SQLModel columns (`col(...)`) and joined selects."""
    return page_by_key(query, keys, after, fetch)


async def course_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, course_id: uuid.UUID, visible: ColumnElement[bool]
) -> Course | None:
    return await get_in_school(session, Course, tenant_id, course_id, visible)


async def course_by_code(session: AsyncSession, tenant_id: uuid.UUID, code: str) -> Course | None:
    result = await session.execute(in_school(Course, tenant_id, col(Course.code) == code))
    found: Course | None = result.scalar_one_or_none()
    return found


async def list_courses(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    visible: ColumnElement[bool],
    *,
    after: uuid.UUID | None,
    fetch: int,
) -> Sequence[Course]:
    query = in_school(Course, tenant_id, visible)
    keyed = keyset(query, [col(Course.id)], [after] if after else None, fetch)
    return (await session.execute(keyed)).scalars().all()


async def lesson_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, lesson_id: uuid.UUID, visible: ColumnElement[bool]
) -> Lesson | None:
    return await get_in_school(session, Lesson, tenant_id, lesson_id, visible)


async def list_lessons(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    course_id: uuid.UUID,
    visible: ColumnElement[bool],
    *,
    after: tuple[datetime, uuid.UUID] | None,
    fetch: int,
) -> Sequence[Lesson]:
    """A course's schedule in time order (ties broken by id: a stable keyset)."""
    query = in_school(Lesson, tenant_id, col(Lesson.course_id) == course_id, visible)
    # The cursor's time is bound as the column's own type, so SQLite compares UTC with UTC.
    start = [literal(after[0], UTCDateTime()), after[1]] if after else None
    keyed = keyset(query, [col(Lesson.starts_at), col(Lesson.id)], start, fetch)
    return (await session.execute(keyed)).scalars().all()


async def lessons_of_teacher_between(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    teacher_id: uuid.UUID,
    start: datetime,
    end: datetime,
) -> Sequence[Lesson]:
    """The teacher's not-cancelled lessons starting in [start, end)."""
    result = await session.execute(
        in_school(
            Lesson,
            tenant_id,
            col(Lesson.teacher_id) == teacher_id,
            col(Lesson.starts_at) >= start,
            col(Lesson.starts_at) < end,
            col(Lesson.status) != LessonStatus.cancelled,
        )
    )
    found: Sequence[Lesson] = result.scalars().all()
    return found


async def same_lesson(
    session: AsyncSession, tenant_id: uuid.UUID, course_id: uuid.UUID, title: str, at: datetime
) -> Lesson | None:
    query = in_school(
        Lesson,
        tenant_id,
        col(Lesson.course_id) == course_id,
        col(Lesson.title) == title,
        col(Lesson.starts_at) == at,
    )
    found: Lesson | None = (await session.execute(query.limit(1))).scalar_one_or_none()
    return found
