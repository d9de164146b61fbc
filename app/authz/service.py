"""Reading the audit log: the school's own, and each person's entries about them.

Rules only: no HTTP, never commits.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account
from app.authz import repository
from app.authz.access import Access
from app.authz.audit import record, record_access
from app.authz.models import AuditEntry
from app.authz.repository import AuditFilter
from app.authz.schemas import AuditEntryOut, MyAuditEntryOut
from app.authz.visibility import audit_entries_visible, audit_subjects_visible
from app.core import csvout
from app.core.db import Database, set_account, set_tenant
from app.core.pagination import PageParams, paginate
from app.core.vocabulary import Action, ActorKind, Purpose, RecordKind
from app.tenancy import repository as tenancy_repository
from app.tenancy.models import Tenant


def entry_out(entry: AuditEntry, subjects: list[uuid.UUID]) -> AuditEntryOut:
    return AuditEntryOut(
        id=entry.id,
        at=entry.at,
        actor_id=entry.actor_id,
        actor_kind=entry.actor_kind,
        grant_id=entry.grant_id,
        record_kind=entry.record_kind,
        action=entry.action,
        purpose=entry.purpose,
        subjects=subjects,
        subject_count=entry.subject_count,
        request_id=entry.request_id,
        detail=entry.detail,
        seq=entry.seq,
        hash=entry.hash,
    )


def _filter_detail(filters: AuditFilter) -> dict[str, Any]:
    return {k: str(v) for k, v in vars(filters).items() if v is not None}


async def list_audit(
    session: AsyncSession, access: Access, filters: AuditFilter, page: PageParams
) -> tuple[list[AuditEntryOut], str | None]:
    """One page of the school's log as the caller may see it; the read is itself audited."""
    visible = audit_entries_visible(access)
    fetched = await repository.list_entries(
        session, access.tenant_id, visible, filters, before=page.after_id(), limit=page.fetch
    )
    rows, next_cursor = paginate(fetched, page.limit, cursor_of=lambda e: [str(e.id)])
    subjects = await repository.subjects_of(
        session,
        access.tenant_id,
        [e.id for e in rows],
        audit_subjects_visible(access),
    )
    await record_access(
        session,
        access,
        [filters.person] if filters.person else (),
        detail={"filters": _filter_detail(filters), "count": len(rows)},
    )
    return [entry_out(e, subjects[e.id]) for e in rows], next_cursor


ExportFormat = Literal["json", "csv"]
CSV_COLUMNS = (
    "id",
    "at",
    "actor_id",
    "actor_kind",
    "grant_id",
    "record_kind",
    "action",
    "purpose",
    "subjects",
    "subject_count",
    "request_id",
    "detail",
    "seq",
    "hash",
)


async def record_export(session: AsyncSession, access: Access, filters: AuditFilter) -> None:
    detail = {"filters": _filter_detail(filters)}
    await record_access(session, access, [filters.person] if filters.person else (), detail=detail)


async def export_audit(
    db: Database, access: Access, filters: AuditFilter, fmt: ExportFormat, batch: int = 500
) -> AsyncIterator[str]:
    """The school's whole log (filtered), oldest first, streamed a batch at a time.

    Runs in its own read transaction: the request's one has ended when the body streams.
    """
    if fmt == "csv":
        yield csvout.BOM + csvout.line(CSV_COLUMNS)
    else:
        yield "["
    first, after = True, None
    tenant_id = access.tenant_id
    entries, subjects_seen = audit_entries_visible(access), audit_subjects_visible(access)
    async with db.session() as session:
        await set_tenant(session, tenant_id)
        while True:
            rows = await repository.export_batch(
                session, tenant_id, entries, filters, after=after, limit=batch
            )
            if not rows:
                break
            subjects = await repository.subjects_of(
                session, tenant_id, [e.id for e in rows], subjects_seen
            )
            chunk: list[str] = []
            for entry in rows:
                out = entry_out(entry, subjects[entry.id]).model_dump(mode="json")
                if fmt == "csv":
                    out["subjects"] = " ".join(out["subjects"])
                    out["detail"] = json.dumps(out["detail"], sort_keys=True)
                    chunk.append(csvout.line([out[c] for c in CSV_COLUMNS]))
                else:
                    chunk.append(("" if first else ",") + "\n" + json.dumps(out))
                    first = False
            yield "".join(chunk)
            after = rows[-1].id
            session.expunge_all()
    if fmt == "json":
        yield "\n]\n"


async def my_audit(
    session: AsyncSession, account: Account, page: PageParams, *, request_id: str | None = None
) -> tuple[list[MyAuditEntryOut], str | None]:
    """Entries about the caller in every school they belong to, newest first.

    Row-level security admits one school per transaction setting: gather school by school.
    """
    await set_account(session, account.id)
    memberships = await tenancy_repository.memberships_of_account(session, account.id)
    schools = {t.id: t for _, t in memberships}
    found: list[tuple[AuditEntry, Tenant]] = []
    for tenant in schools.values():
        await set_tenant(session, tenant.id)
        rows = await repository.entries_about_person(
            session, tenant.id, account.id, before=page.after_id(), limit=page.fetch
        )
        found += [(e, tenant) for e in rows]
    found.sort(key=lambda pair: pair[0].id, reverse=True)
    shown_rows, next_cursor = paginate(found, page.limit, cursor_of=lambda r: [str(r[0].id)])
    await _record_my_read(session, account, schools.values(), shown_rows, request_id)
    items = [
        MyAuditEntryOut(
            school=t.slug,
            id=e.id,
            at=e.at,
            actor_id=e.actor_id,
            actor_kind=e.actor_kind,
            grant_id=e.grant_id,
            record_kind=e.record_kind,
            action=e.action,
            purpose=e.purpose,
        )
        for e, t in shown_rows
    ]
    return items, next_cursor


async def _record_my_read(
    session: AsyncSession,
    account: Account,
    schools: Iterable[Tenant],
    shown_rows: Sequence[tuple[AuditEntry, Tenant]],
    request_id: str | None,
) -> None:
    """One entry in each school whose entries the person was shown (AUZ audit of reads)."""
    for tenant in schools:
        shown = sum(1 for _, t in shown_rows if t.id == tenant.id)
        if not shown:
            continue
        await set_tenant(session, tenant.id)
        await record(
            session,
            tenant_id=tenant.id,
            actor_id=account.id,
            actor_kind=ActorKind.MEMBER,
            record_kind=RecordKind.AUDIT_ENTRY,
            action=Action.LIST,
            purpose=Purpose.ACCOUNT,
            subjects=[account.id],
            request_id=request_id,
            detail={"count": shown, "via": "/v1/me/audit"},
        )
    await set_tenant(session, None)
