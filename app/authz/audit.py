"""Writing audit entries: part of the request's transaction, so no read goes unrecorded."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.access import Access
from app.authz.models import AuditEntry, AuditSubject
from app.core import clock
from app.core.ids import new_id


async def record(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    actor_kind: str,
    record_kind: str,
    action: str,
    purpose: str | None,
    subjects: Iterable[uuid.UUID] = (),
    grant_id: uuid.UUID | None = None,
    request_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> uuid.UUID:
    subject_ids = sorted(set(subjects))
    entry_id = new_id()
    await session.execute(
        insert(AuditEntry).values(
            tenant_id=tenant_id,
            id=entry_id,
            at=clock.now(),
            actor_id=actor_id,
            actor_kind=actor_kind,
            grant_id=grant_id,
            record_kind=record_kind,
            action=action,
            purpose=purpose,
            subject_count=len(subject_ids),
            request_id=request_id,
            detail=detail or {},
        )
    )
    if subject_ids:
        await session.execute(
            insert(AuditSubject),
            [{"tenant_id": tenant_id, "entry_id": entry_id, "account_id": s} for s in subject_ids],
        )
    return entry_id


async def record_access(
    session: AsyncSession,
    access: Access,
    subjects: Iterable[uuid.UUID] = (),
    *,
    action: str | None = None,
    record_kind: str | None = None,
    detail: dict[str, Any] | None = None,
) -> uuid.UUID:
    """The entry for an authorised read or change (actor, grant, purpose from the decision)."""
    return await record(
        session,
        tenant_id=access.tenant_id,
        actor_id=access.account_id,
        actor_kind=access.actor_kind,
        record_kind=record_kind or access.record_kind,
        action=action or access.action,
        purpose=access.purpose,
        subjects=subjects,
        grant_id=access.grant_id,
        request_id=access.request_id,
        detail=detail,
    )
