"""Queries on support grants and the audit log. Every function takes the school."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import Account, ApiKey
from app.authz.models import AuditEntry, AuditSubject, SupportGrant
from app.core.repository import Visible, get_in_school, in_school, page_by_key

# --- API keys ---


async def api_key_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, key_id: uuid.UUID
) -> ApiKey | None:
    return await get_in_school(session, ApiKey, tenant_id, key_id)


async def api_keys_page(
    session: AsyncSession, tenant_id: uuid.UUID, *, after: uuid.UUID | None, fetch: int
) -> Sequence[ApiKey]:
    """The school's keys in id order (revoked ones too), `fetch` rows after `after`."""
    start = None if after is None else [after]
    query = page_by_key(in_school(ApiKey, tenant_id), [col(ApiKey.id)], start, fetch)
    found: Sequence[ApiKey] = (await session.execute(query)).scalars().all()
    return found


async def live_api_key(session: AsyncSession, tenant_id: uuid.UUID, key_hash: str) -> ApiKey | None:
    """The unrevoked key of this school with this hash (one indexed lookup)."""
    query = in_school(
        ApiKey, tenant_id, col(ApiKey.key_hash) == key_hash, col(ApiKey.revoked_at).is_(None)
    )
    found: ApiKey | None = (await session.execute(query)).scalar_one_or_none()
    return found


async def touch_api_key(
    session: AsyncSession, tenant_id: uuid.UUID, key_id: uuid.UUID, now: datetime
) -> None:
    await session.execute(
        update(ApiKey)
        .where(col(ApiKey.tenant_id) == tenant_id, col(ApiKey.id) == key_id)
        .values(last_used_at=now)
    )


# --- support grants ---


async def grant_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, grant_id: uuid.UUID
) -> SupportGrant | None:
    result = await session.execute(
        select(SupportGrant).where(
            col(SupportGrant.tenant_id) == tenant_id, col(SupportGrant.id) == grant_id
        )
    )
    return result.scalar_one_or_none()


async def live_grants_of_staff(
    session: AsyncSession, tenant_id: uuid.UUID, staff_id: uuid.UUID, now: datetime
) -> Sequence[SupportGrant]:
    """The staff account's grants in this school that are neither revoked nor expired."""
    result = await session.execute(
        select(SupportGrant)
        .where(
            col(SupportGrant.tenant_id) == tenant_id,
            col(SupportGrant.staff_account_id) == staff_id,
            col(SupportGrant.revoked_at).is_(None),
            col(SupportGrant.expires_at) > now,
        )
        .order_by(col(SupportGrant.id))
    )
    return result.scalars().all()


async def list_grants(
    session: AsyncSession, tenant_id: uuid.UUID, *, before: uuid.UUID | None, limit: int
) -> Sequence[tuple[SupportGrant, Account]]:
    """Newest first, with the staff account (for its masked number)."""
    query = (
        select(SupportGrant, Account)
        .join(Account, col(Account.id) == col(SupportGrant.staff_account_id))
        .where(col(SupportGrant.tenant_id) == tenant_id)
        .order_by(col(SupportGrant.id).desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(col(SupportGrant.id) < before)
    return [(g, a) for g, a in (await session.execute(query)).all()]


# --- audit log ---


@dataclass(frozen=True)
class AuditFilter:
    person: uuid.UUID | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def entries_about(tenant_id: uuid.UUID, people: ColumnElement[bool]) -> ColumnElement[bool]:
    """Entries with a subject matching `people` (a predicate on AuditSubject.account_id)."""
    about = select(col(AuditSubject.entry_id)).where(
        col(AuditSubject.tenant_id) == tenant_id, people
    )
    return col(AuditEntry.id).in_(about)


def _filtered(
    tenant_id: uuid.UUID, visible: ColumnElement[bool], f: AuditFilter
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [col(AuditEntry.tenant_id) == tenant_id, visible]
    if f.person is not None:
        by_or_about = entries_about(tenant_id, col(AuditSubject.account_id) == f.person)
        conditions.append(or_(col(AuditEntry.actor_id) == f.person, by_or_about))
    if f.kind is not None:
        conditions.append(col(AuditEntry.record_kind) == f.kind)
    if f.since is not None:
        conditions.append(col(AuditEntry.at) >= f.since)
    if f.until is not None:
        conditions.append(col(AuditEntry.at) < f.until)
    return conditions


async def list_entries(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    visible: Visible,
    filters: AuditFilter,
    *,
    before: uuid.UUID | None,
    limit: int,
) -> Sequence[AuditEntry]:
    """One page of the school's log, newest first (ids are time-ordered)."""
    query = (
        select(AuditEntry)
        .where(*_filtered(tenant_id, visible, filters))
        .order_by(col(AuditEntry.id).desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(col(AuditEntry.id) < before)
    return (await session.execute(query)).scalars().all()


async def export_batch(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    visible: Visible,
    filters: AuditFilter,
    *,
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[AuditEntry]:
    """The log in id order, a batch at a time (school admins: the whole of it)."""
    query = (
        select(AuditEntry)
        .where(*_filtered(tenant_id, visible, filters))
        .order_by(col(AuditEntry.id))
        .limit(limit)
    )
    if after is not None:
        query = query.where(col(AuditEntry.id) > after)
    return (await session.execute(query)).scalars().all()


async def subjects_of(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    entry_ids: Sequence[uuid.UUID],
    visible: Visible,
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The subjects of these entries that the caller may see (`visible` on account_id)."""
    found: dict[uuid.UUID, list[uuid.UUID]] = {e: [] for e in entry_ids}
    if not entry_ids:
        return found
    rows = await session.execute(
        select(col(AuditSubject.entry_id), col(AuditSubject.account_id))
        .where(
            col(AuditSubject.tenant_id) == tenant_id,
            col(AuditSubject.entry_id).in_(entry_ids),
            visible,
        )
        .order_by(col(AuditSubject.account_id))
    )
    for entry_id, account_id in rows.all():
        found[entry_id].append(account_id)
    return found


async def entries_about_person(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    account_id: uuid.UUID,
    *,
    before: uuid.UUID | None,
    limit: int,
) -> Sequence[AuditEntry]:
    """Entries of one school about one person, newest first."""
    query = (
        select(AuditEntry)
        .where(
            col(AuditEntry.tenant_id) == tenant_id,
            entries_about(tenant_id, col(AuditSubject.account_id) == account_id),
        )
        .order_by(col(AuditEntry.id).desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(col(AuditEntry.id) < before)
    return (await session.execute(query)).scalars().all()
