"""Queries on a school's open items (disputed registrations, wrong-course reports)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.repository import get_in_school, in_school
from app.roster.models import RosterIssue, RosterIssueKind
from app.roster.repository import keyset


async def open_issue(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    kind: RosterIssueKind,
    *,
    membership_id: uuid.UUID | None = None,
    enrollment_id: uuid.UUID | None = None,
) -> RosterIssue | None:
    query = in_school(
        RosterIssue,
        tenant_id,
        col(RosterIssue.kind) == kind,
        col(RosterIssue.status) == "open",
    )
    if membership_id is not None:
        query = query.where(col(RosterIssue.membership_id) == membership_id)
    if enrollment_id is not None:
        query = query.where(col(RosterIssue.enrollment_id) == enrollment_id)
    found: RosterIssue | None = (await session.execute(query.limit(1))).scalar_one_or_none()
    return found


async def issue_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, issue_id: uuid.UUID
) -> RosterIssue | None:
    return await get_in_school(session, RosterIssue, tenant_id, issue_id)


async def list_issues(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    status: str | None,
    after: uuid.UUID | None,
    fetch: int,
) -> Sequence[RosterIssue]:
    query = in_school(RosterIssue, tenant_id)
    if status is not None:
        query = query.where(col(RosterIssue.status) == status)
    keyed = keyset(query, [col(RosterIssue.id)], [after] if after else None, fetch)
    return (await session.execute(keyed)).scalars().all()
