"""Writing audit entries: part of the request's transaction, so no read goes unrecorded."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Insert, Uuid, bindparam, func, insert, select, true
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.access import Access
from app.authz.models import AuditEntry, AuditSubject
from app.core import clock
from app.core.db import is_postgres
from app.core.ids import new_id
from app.core.vocabulary import ActorKind, Purpose, RecordKind

# Core statements on the tables: no ORM unit of work on the hot path of every read.
_ENTRY = AuditEntry.__table__  # type: ignore[attr-defined]
_SUBJECT = AuditSubject.__table__  # type: ignore[attr-defined]
_WRITTEN = (
    "tenant_id", "id", "at", "actor_id", "actor_kind", "grant_id", "record_kind", "action",
    "purpose", "subject_count", "request_id", "detail",
)  # fmt: skip


def _statements() -> tuple[Insert, Insert, Insert]:
    """Built once: (the entry alone, its subjects alone, both in one PostgreSQL statement).

    A read is on the request's critical path, so on PostgreSQL the entry and its subjects
    go in one round trip: the entry is a data-modifying CTE whose RETURNING feeds the
    subjects' insert (their foreign key is checked at the end of the statement).
    """
    columns = {name: bindparam(name, type_=_ENTRY.c[name].type) for name in _WRITTEN}
    entry = insert(_ENTRY).values(columns)
    subjects = insert(_SUBJECT)
    written = entry.returning(_ENTRY.c.tenant_id, _ENTRY.c.id).cte("entry")
    ids = (
        func.unnest(bindparam("subjects", type_=postgresql.ARRAY(Uuid())))
        .table_valued("s")
        .render_derived()
    )
    together = insert(_SUBJECT).from_select(
        ["tenant_id", "entry_id", "account_id"],
        select(written.c.tenant_id, written.c.id, ids.c.s).select_from(written).join(ids, true()),
    )
    return entry, subjects, together


ENTRY_INSERT, SUBJECTS_INSERT, ENTRY_WITH_SUBJECTS = _statements()


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
    entry = {
        "tenant_id": tenant_id,
        "id": entry_id,
        "at": clock.now(),
        "actor_id": actor_id,
        "actor_kind": actor_kind,
        "grant_id": grant_id,
        "record_kind": record_kind,
        "action": action,
        "purpose": purpose,
        "subject_count": len(subject_ids),
        "request_id": request_id,
        "detail": detail or {},
    }
    if subject_ids and is_postgres(session):
        await session.execute(ENTRY_WITH_SUBJECTS, {**entry, "subjects": subject_ids})
        return entry_id
    await session.execute(ENTRY_INSERT, entry)
    if subject_ids:
        rows = [
            {"tenant_id": tenant_id, "entry_id": entry_id, "account_id": s} for s in subject_ids
        ]
        await session.execute(SUBJECTS_INSERT, rows)
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


async def record_for_api_key(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    key_id: uuid.UUID,
    *,
    record_kind: str,
    action: str,
    subjects: Iterable[uuid.UUID] = (),
    request_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> uuid.UUID:
    """The entry for a write by an ingestion key: no person, no purpose, the key named."""
    return await record(
        session,
        tenant_id=tenant_id,
        actor_id=None,
        actor_kind=ActorKind.API_KEY,
        record_kind=record_kind,
        action=action,
        purpose=None,
        subjects=subjects,
        request_id=request_id,
        detail={"api_key_id": str(key_id), **(detail or {})},
    )


async def record_key_command(
    session: AsyncSession, tenant_id: uuid.UUID, action: str, detail: dict[str, Any]
) -> uuid.UUID:
    """The entry for an API key or OneRoster client that a `rostra` command made or revoked."""
    return await record(
        session,
        tenant_id=tenant_id,
        actor_id=None,
        actor_kind=ActorKind.SYSTEM,
        record_kind=RecordKind.API_KEY,
        action=action,
        purpose=Purpose.SECURITY,
        detail=detail,
    )
