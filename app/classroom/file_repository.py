"""Queries on recordings, snapshots and recording grants (always within one school)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.classroom.models import LessonFile, RecordingGrant
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
    return (
        select(LessonFile)
        .join(
            Lesson,
            and_(
                col(Lesson.tenant_id) == col(LessonFile.tenant_id),
                col(Lesson.id) == col(LessonFile.lesson_id),
            ),
        )
        .where(col(LessonFile.tenant_id) == tenant_id, col(LessonFile.kind) == kind, visible)
    )


async def list_files(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    lesson_id: uuid.UUID,
    kind: str,
    visible: ColumnElement[bool],
    *,
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[LessonFile]:
    query = (
        _visible_files(tenant_id, kind, visible)
        .where(
            col(LessonFile.lesson_id) == lesson_id,
        )
        .order_by(col(LessonFile.id))
        .limit(limit)
    )
    if after is not None:
        query = query.where(col(LessonFile.id) > after)
    return (await session.execute(query)).scalars().all()


async def visible_file(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    file_id: uuid.UUID,
    kind: str,
    visible: ColumnElement[bool],
) -> LessonFile | None:
    query = _visible_files(tenant_id, kind, visible).where(
        col(LessonFile.id) == file_id,
    )
    return (await session.execute(query)).scalar_one_or_none()


async def file_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, file_id: uuid.UUID
) -> LessonFile | None:
    return await session.get(LessonFile, (tenant_id, file_id))


def add_grant(session: AsyncSession, grant: RecordingGrant) -> None:
    session.add(grant)


async def grant_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, recording_id: uuid.UUID, grant_id: uuid.UUID
) -> RecordingGrant | None:
    grant = await session.get(RecordingGrant, (tenant_id, grant_id))
    return grant if grant is not None and grant.recording_id == recording_id else None


async def grants_of(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    recording_id: uuid.UUID,
    *,
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[RecordingGrant]:
    """A recording's grants, revoked and expired ones included, oldest first."""
    query = (
        select(RecordingGrant)
        .where(
            col(RecordingGrant.tenant_id) == tenant_id,
            col(RecordingGrant.recording_id) == recording_id,
        )
        .order_by(col(RecordingGrant.id))
        .limit(limit)
    )
    if after is not None:
        query = query.where(col(RecordingGrant.id) > after)
    return (await session.execute(query)).scalars().all()


def course_column() -> Any:
    return col(Lesson.course_id)
