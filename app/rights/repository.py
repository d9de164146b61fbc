"""Queries on rights requests; a school's parts are always read with the school's id."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import RefreshToken
from app.core.db import set_account
from app.core.repository import get_in_school, in_school, page_by_key
from app.rights.models import (
    CLOSED,
    AccountHold,
    RequestType,
    RightsRequest,
    SchoolRightsRequest,
)
from app.roster.models import Course, CourseStatus, Enrollment

OPEN_PART = col(SchoolRightsRequest.status).not_in([s.value for s in CLOSED])
OPEN_REQUEST = col(RightsRequest.status).not_in([s.value for s in CLOSED])


async def request_of(
    session: AsyncSession, account_id: uuid.UUID, request_id: uuid.UUID
) -> RightsRequest | None:
    result = await session.execute(
        select(RightsRequest).where(
            col(RightsRequest.id) == request_id, col(RightsRequest.account_id) == account_id
        )
    )
    return result.scalar_one_or_none()


async def request_by_id(session: AsyncSession, request_id: uuid.UUID) -> RightsRequest | None:
    return await session.get(RightsRequest, request_id)


async def requests_of(
    session: AsyncSession,
    account_id: uuid.UUID,
    after: tuple[datetime, uuid.UUID] | None,
    fetch: int,
) -> Sequence[RightsRequest]:
    query = select(RightsRequest).where(col(RightsRequest.account_id) == account_id)
    keys: list[Any] = [col(RightsRequest.created_at), col(RightsRequest.id)]
    paged = page_by_key(query, keys, after, fetch, descending=True)
    found: Sequence[RightsRequest] = (await session.execute(paged)).scalars().all()
    return found


async def latest_of_type(
    session: AsyncSession, account_id: uuid.UUID, type_: RequestType, since: date
) -> RightsRequest | None:
    result = await session.execute(
        select(RightsRequest)
        .where(
            col(RightsRequest.account_id) == account_id,
            col(RightsRequest.type) == type_.value,
            col(RightsRequest.received_on) >= since,
        )
        .order_by(col(RightsRequest.created_at).desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def open_requests_of(session: AsyncSession, account_id: uuid.UUID) -> Sequence[RightsRequest]:
    result = await session.execute(
        select(RightsRequest).where(col(RightsRequest.account_id) == account_id, OPEN_REQUEST)
    )
    return result.scalars().all()


async def parts_of(
    session: AsyncSession, request_ids: Sequence[uuid.UUID]
) -> Sequence[SchoolRightsRequest]:
    """The school parts of these requests (RLS admits them through `app.account_id`)."""
    if not request_ids:
        return []
    result = await session.execute(
        select(SchoolRightsRequest)
        .where(col(SchoolRightsRequest.request_id).in_(list(request_ids)))
        .order_by(col(SchoolRightsRequest.created_at), col(SchoolRightsRequest.id))
    )
    return result.scalars().all()


async def school_parts(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    where: Sequence[ColumnElement[bool]],
    after: tuple[datetime, uuid.UUID] | None,
    fetch: int,
) -> Sequence[SchoolRightsRequest]:
    query = in_school(SchoolRightsRequest, tenant_id, *where)
    keys: list[Any] = [col(SchoolRightsRequest.created_at), col(SchoolRightsRequest.id)]
    paged = page_by_key(query, keys, after, fetch, descending=True)
    found: Sequence[SchoolRightsRequest] = (await session.execute(paged)).scalars().all()
    return found


async def school_part(
    session: AsyncSession, tenant_id: uuid.UUID, part_id: uuid.UUID, *where: ColumnElement[bool]
) -> SchoolRightsRequest | None:
    return await get_in_school(session, SchoolRightsRequest, tenant_id, part_id, *where)


async def platform_requests(
    session: AsyncSession,
    where: Sequence[ColumnElement[bool]],
    after: tuple[datetime, uuid.UUID] | None,
    fetch: int,
) -> Sequence[RightsRequest]:
    query = select(RightsRequest).where(col(RightsRequest.account_level), *where)
    keys: list[Any] = [col(RightsRequest.created_at), col(RightsRequest.id)]
    paged = page_by_key(query, keys, after, fetch, descending=True)
    found: Sequence[RightsRequest] = (await session.execute(paged)).scalars().all()
    return found


async def live_holds(session: AsyncSession, account_id: uuid.UUID) -> Sequence[AccountHold]:
    result = await session.execute(
        select(AccountHold).where(
            col(AccountHold.account_id) == account_id, col(AccountHold.lifted_at).is_(None)
        )
    )
    return result.scalars().all()


async def unfinished_courses(
    session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID, today: date
) -> int:
    """Live enrolments of the person in courses of this school that have not ended yet."""
    result = await session.execute(
        select(func.count())
        .select_from(Enrollment)
        .join(
            Course,
            and_(
                col(Course.tenant_id) == col(Enrollment.tenant_id),
                col(Course.id) == col(Enrollment.course_id),
            ),
        )
        .where(
            col(Enrollment.tenant_id) == tenant_id,
            col(Enrollment.account_id) == account_id,
            col(Enrollment.status) == "active",
            col(Course.status) == CourseStatus.active,
            col(Course.ends_on) >= today,
        )
    )
    return int(result.scalar_one())


async def revoke_refresh_tokens(session: AsyncSession, account_id: uuid.UUID, at: datetime) -> None:
    await set_account(session, account_id)  # row-level security: the person's own tokens
    await session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.account_id) == account_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=at)
    )


async def requests_by_ids(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, RightsRequest]:
    if not ids:
        return {}
    result = await session.execute(
        select(RightsRequest).where(col(RightsRequest.id).in_(list(set(ids))))
    )
    return {r.id: r for r in result.scalars()}
