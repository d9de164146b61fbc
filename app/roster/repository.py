"""Queries on courses, lessons, enrolments, guardianships and open items. Always per school."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import Account
from app.roster.models import (
    Course,
    Enrollment,
    Guardianship,
    Lesson,
    LessonStatus,
    RosterIssue,
    RosterSource,
)
from app.tenancy.models import Membership


async def course_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, course_id: uuid.UUID, visible: ColumnElement[bool]
) -> Course | None:
    result = await session.execute(
        select(Course).where(
            col(Course.tenant_id) == tenant_id, col(Course.id) == course_id, visible
        )
    )
    return result.scalar_one_or_none()


async def course_by_code(session: AsyncSession, tenant_id: uuid.UUID, code: str) -> Course | None:
    result = await session.execute(
        select(Course).where(col(Course.tenant_id) == tenant_id, col(Course.code) == code)
    )
    return result.scalar_one_or_none()


async def list_courses(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    visible: ColumnElement[bool],
    *,
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[Course]:
    query = (
        select(Course)
        .where(col(Course.tenant_id) == tenant_id, visible)
        .order_by(col(Course.id))
        .limit(limit)
    )
    if after is not None:
        query = query.where(col(Course.id) > after)
    return (await session.execute(query)).scalars().all()


async def lesson_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, lesson_id: uuid.UUID, visible: ColumnElement[bool]
) -> Lesson | None:
    result = await session.execute(
        select(Lesson).where(
            col(Lesson.tenant_id) == tenant_id, col(Lesson.id) == lesson_id, visible
        )
    )
    return result.scalar_one_or_none()


async def list_lessons(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    course_id: uuid.UUID,
    visible: ColumnElement[bool],
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Lesson]:
    """A course's schedule in time order (ties broken by id: a stable keyset)."""
    query = (
        select(Lesson)
        .where(col(Lesson.tenant_id) == tenant_id, col(Lesson.course_id) == course_id, visible)
        .order_by(col(Lesson.starts_at), col(Lesson.id))
        .limit(limit)
    )
    if after is not None:
        at, last = after
        query = query.where(
            or_(
                col(Lesson.starts_at) > at,
                and_(col(Lesson.starts_at) == at, col(Lesson.id) > last),
            )
        )
    return (await session.execute(query)).scalars().all()


async def lessons_of_teacher_between(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    teacher_id: uuid.UUID,
    start: datetime,
    end: datetime,
) -> Sequence[Lesson]:
    """The teacher's not-cancelled lessons starting in [start, end)."""
    result = await session.execute(
        select(Lesson).where(
            col(Lesson.tenant_id) == tenant_id,
            col(Lesson.teacher_id) == teacher_id,
            col(Lesson.starts_at) >= start,
            col(Lesson.starts_at) < end,
            col(Lesson.status) != LessonStatus.cancelled,
        )
    )
    return result.scalars().all()


async def same_lesson(
    session: AsyncSession, tenant_id: uuid.UUID, course_id: uuid.UUID, title: str, at: datetime
) -> Lesson | None:
    result = await session.execute(
        select(Lesson)
        .where(
            col(Lesson.tenant_id) == tenant_id,
            col(Lesson.course_id) == course_id,
            col(Lesson.title) == title,
            col(Lesson.starts_at) == at,
        )
        .limit(1)
    )
    return result.scalar_one_or_none()


async def membership_of(
    session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID, role: str
) -> Membership | None:
    result = await session.execute(
        select(Membership).where(
            col(Membership.tenant_id) == tenant_id,
            col(Membership.account_id) == account_id,
            col(Membership.role) == role,
        )
    )
    return result.scalar_one_or_none()


async def membership_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, membership_id: uuid.UUID
) -> Membership | None:
    result = await session.execute(
        select(Membership).where(
            col(Membership.tenant_id) == tenant_id, col(Membership.id) == membership_id
        )
    )
    return result.scalar_one_or_none()


async def enrollments_in_course(
    session: AsyncSession, tenant_id: uuid.UUID, course_id: uuid.UUID, account_ids: list[uuid.UUID]
) -> Sequence[Enrollment]:
    result = await session.execute(
        select(Enrollment).where(
            col(Enrollment.tenant_id) == tenant_id,
            col(Enrollment.course_id) == course_id,
            col(Enrollment.account_id).in_(account_ids),
        )
    )
    return result.scalars().all()


async def enrollment_by_id(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    enrollment_id: uuid.UUID,
    visible: ColumnElement[bool],
) -> Enrollment | None:
    result = await session.execute(
        select(Enrollment).where(
            col(Enrollment.tenant_id) == tenant_id, col(Enrollment.id) == enrollment_id, visible
        )
    )
    return result.scalar_one_or_none()


async def list_enrollments(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    visible: ColumnElement[bool],
    *,
    course_id: uuid.UUID | None,
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[tuple[Enrollment, Account]]:
    query = (
        select(Enrollment, Account)
        .join(Account, col(Account.id) == col(Enrollment.account_id))
        .where(col(Enrollment.tenant_id) == tenant_id, visible)
        .order_by(col(Enrollment.id))
        .limit(limit)
    )
    if course_id is not None:
        query = query.where(col(Enrollment.course_id) == course_id)
    if after is not None:
        query = query.where(col(Enrollment.id) > after)
    return [(e, a) for e, a in (await session.execute(query)).all()]


async def guardianship(
    session: AsyncSession, tenant_id: uuid.UUID, guardian_id: uuid.UUID, student_id: uuid.UUID
) -> Guardianship | None:
    result = await session.execute(
        select(Guardianship).where(
            col(Guardianship.tenant_id) == tenant_id,
            col(Guardianship.guardian_id) == guardian_id,
            col(Guardianship.student_id) == student_id,
        )
    )
    return result.scalar_one_or_none()


async def open_issue(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    kind: str,
    *,
    membership_id: uuid.UUID | None = None,
    enrollment_id: uuid.UUID | None = None,
) -> RosterIssue | None:
    query = select(RosterIssue).where(
        col(RosterIssue.tenant_id) == tenant_id,
        col(RosterIssue.kind) == kind,
        col(RosterIssue.status) == "open",
    )
    if membership_id is not None:
        query = query.where(col(RosterIssue.membership_id) == membership_id)
    if enrollment_id is not None:
        query = query.where(col(RosterIssue.enrollment_id) == enrollment_id)
    return (await session.execute(query.limit(1))).scalar_one_or_none()


async def issue_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, issue_id: uuid.UUID
) -> RosterIssue | None:
    result = await session.execute(
        select(RosterIssue).where(
            col(RosterIssue.tenant_id) == tenant_id, col(RosterIssue.id) == issue_id
        )
    )
    return result.scalar_one_or_none()


async def list_issues(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    status: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[RosterIssue]:
    query = (
        select(RosterIssue)
        .where(col(RosterIssue.tenant_id) == tenant_id)
        .order_by(col(RosterIssue.id))
        .limit(limit)
    )
    if status is not None:
        query = query.where(col(RosterIssue.status) == status)
    if after is not None:
        query = query.where(col(RosterIssue.id) > after)
    return (await session.execute(query)).scalars().all()


async def roster_source(session: AsyncSession, tenant_id: uuid.UUID) -> RosterSource | None:
    result = await session.execute(
        select(RosterSource).where(col(RosterSource.tenant_id) == tenant_id).limit(1)
    )
    return result.scalar_one_or_none()


def courses_with_visible_enrollments(tenant_id: uuid.UUID, visible: ColumnElement[bool]) -> Any:
    """Courses in which the caller may see at least one enrolment (e.g. their own)."""
    return select(col(Enrollment.course_id)).where(col(Enrollment.tenant_id) == tenant_id, visible)
