"""Queries on recordings, snapshots and recording grants (always within one school)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.classroom.models import AttendanceSpan, LessonFile, LessonRollup, RecordingGrant
from app.core.repository import get_in_school, in_school, page_by_key
from app.roster.models import Course, Lesson


async def lesson_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, lesson_id: uuid.UUID
) -> Lesson | None:
    return await session.get(Lesson, (tenant_id, lesson_id))


async def course_exists(session: AsyncSession, tenant_id: uuid.UUID, course_id: uuid.UUID) -> bool:
    return await session.get(Course, (tenant_id, course_id)) is not None


def add_file(session: AsyncSession, file: LessonFile) -> None:
    session.add(file)


def _visible_files(tenant_id: uuid.UUID, kind: str, visible: ColumnElement[bool]) -> Any:
    """A school's files of one kind, joined to their lesson so scope predicates can apply."""
    return in_school(LessonFile, tenant_id, col(LessonFile.kind) == kind, visible).join(
        Lesson,
        and_(
            col(Lesson.tenant_id) == col(LessonFile.tenant_id),
            col(Lesson.id) == col(LessonFile.lesson_id),
        ),
    )


async def list_files(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    lesson_id: uuid.UUID,
    kind: str,
    visible: ColumnElement[bool],
    *,
    after: uuid.UUID | None,
    fetch: int,
) -> Sequence[LessonFile]:
    query = _visible_files(tenant_id, kind, visible).where(col(LessonFile.lesson_id) == lesson_id)
    cursor = None if after is None else [after]
    keys: list[Any] = [col(LessonFile.id)]
    paged = page_by_key(query, keys, cursor, fetch)
    found: Sequence[Any] = (await session.execute(paged)).scalars().all()
    return found


async def visible_file(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    file_id: uuid.UUID,
    kind: str,
    visible: ColumnElement[bool],
) -> LessonFile | None:
    query = _visible_files(tenant_id, kind, visible).where(col(LessonFile.id) == file_id)
    found: LessonFile | None = (await session.execute(query)).scalar_one_or_none()
    return found


async def file_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, file_id: uuid.UUID
) -> LessonFile | None:
    return await session.get(LessonFile, (tenant_id, file_id))


def add_grant(session: AsyncSession, grant: RecordingGrant) -> None:
    session.add(grant)


async def grant_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, recording_id: uuid.UUID, grant_id: uuid.UUID
) -> RecordingGrant | None:
    return await get_in_school(
        session,
        RecordingGrant,
        tenant_id,
        grant_id,
        col(RecordingGrant.recording_id) == recording_id,
    )


async def grants_of(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    recording_id: uuid.UUID,
    *,
    after: uuid.UUID | None,
    fetch: int,
) -> Sequence[RecordingGrant]:
    """A recording's grants, revoked and expired ones included, oldest first."""
    query = in_school(RecordingGrant, tenant_id, col(RecordingGrant.recording_id) == recording_id)
    cursor = None if after is None else [after]
    keys: list[Any] = [col(RecordingGrant.id)]
    paged = page_by_key(query, keys, cursor, fetch)
    found: Sequence[Any] = (await session.execute(paged)).scalars().all()
    return found


async def participants(
    session: AsyncSession, tenant_id: uuid.UUID, lesson_id: uuid.UUID
) -> list[uuid.UUID]:
    """Whose data a recording or snapshot of the lesson is: everyone with a rollup there."""
    result = await session.execute(
        select(col(LessonRollup.account_id)).where(
            col(LessonRollup.tenant_id) == tenant_id, col(LessonRollup.lesson_id) == lesson_id
        )
    )
    return list(result.scalars())


async def attended(
    session: AsyncSession, tenant_id: uuid.UUID, lesson_id: uuid.UUID, account_id: uuid.UUID
) -> bool:
    """Whether the person was in the lesson (an attendance span of theirs there)."""
    query = (
        select(col(AttendanceSpan.id))
        .where(
            col(AttendanceSpan.tenant_id) == tenant_id,
            col(AttendanceSpan.lesson_id) == lesson_id,
            col(AttendanceSpan.account_id) == account_id,
        )
        .limit(1)
    )
    return (await session.execute(query)).first() is not None


def course_column() -> Any:
    return col(Lesson.course_id)
