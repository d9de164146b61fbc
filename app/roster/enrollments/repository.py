"""Queries on a school's enrolments. Always per school, always within a visibility."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import Account
from app.core.repository import get_in_school, in_school
from app.roster.models import Enrollment
from app.roster.repository import keyset


async def enrollments_in_course(
    session: AsyncSession, tenant_id: uuid.UUID, course_id: uuid.UUID, account_ids: list[uuid.UUID]
) -> Sequence[Enrollment]:
    result = await session.execute(
        in_school(
            Enrollment,
            tenant_id,
            col(Enrollment.course_id) == course_id,
            col(Enrollment.account_id).in_(account_ids),
        )
    )
    found: Sequence[Enrollment] = result.scalars().all()
    return found


async def enrollment_by_id(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    enrollment_id: uuid.UUID,
    visible: ColumnElement[bool],
) -> Enrollment | None:
    return await get_in_school(session, Enrollment, tenant_id, enrollment_id, visible)


async def list_enrollments(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    visible: ColumnElement[bool],
    *,
    course_id: uuid.UUID | None,
    after: uuid.UUID | None,
    fetch: int,
) -> Sequence[tuple[Enrollment, Account]]:
    query = (
        select(Enrollment, Account)
        .join(Account, col(Account.id) == col(Enrollment.account_id))
        .where(col(Enrollment.tenant_id) == tenant_id, visible)
    )
    if course_id is not None:
        query = query.where(col(Enrollment.course_id) == course_id)
    keyed = keyset(query, [col(Enrollment.id)], [after] if after else None, fetch)
    return [(e, a) for e, a in (await session.execute(keyed)).all()]


def courses_with_visible_enrollments(tenant_id: uuid.UUID, visible: ColumnElement[bool]) -> Any:
    """Courses in which the caller may see at least one enrolment (e.g. their own)."""
    return select(col(Enrollment.course_id)).where(col(Enrollment.tenant_id) == tenant_id, visible)
