"""The audit chain: a sealer links each school's entries by hash, `verify` walks the links.

Requests only append entries (no shared row to queue behind); shortly after, the sealer
gives each unsealed entry the next position (`seq`), the previous entry's hash and its own
hash. One row per school (`auditchainhead`) is locked while sealing, so two sealers never
interleave. A removed entry leaves a gap in `seq`, an edited one no longer matches its
hash, a moved one no longer follows the hash it names.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.authz.models import AuditChainHead, AuditEntry, AuditSubject
from app.core import clock
from app.core.db import Database, set_tenant
from app.tenancy import repository as tenancy_repository

GENESIS = "0" * 64
BATCH = 500


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return str(value)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def canonical(entry: AuditEntry, subjects: Sequence[uuid.UUID]) -> str:
    """The entry's recorded facts as one stable JSON text (the chain's position is not in it)."""
    body = {
        "tenant_id": _str(entry.tenant_id),
        "id": _str(entry.id),
        "at": _iso(entry.at),
        "actor_id": _str(entry.actor_id),
        "actor_kind": entry.actor_kind,
        "grant_id": _str(entry.grant_id),
        "record_kind": entry.record_kind,
        "action": entry.action,
        "purpose": entry.purpose,
        "subject_count": entry.subject_count,
        "subjects": sorted(str(s) for s in subjects),
        "request_id": entry.request_id,
        "detail": entry.detail,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(prev_hash: str, entry: AuditEntry, subjects: Sequence[uuid.UUID]) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical(entry, subjects)}".encode()).hexdigest()


async def _subjects_of(
    session: AsyncSession, tenant_id: uuid.UUID, entry_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    found: dict[uuid.UUID, list[uuid.UUID]] = {e: [] for e in entry_ids}
    if not entry_ids:
        return found
    rows = await session.execute(
        select(col(AuditSubject.entry_id), col(AuditSubject.account_id)).where(
            col(AuditSubject.tenant_id) == tenant_id, col(AuditSubject.entry_id).in_(entry_ids)
        )
    )
    for entry_id, account_id in rows.all():
        found[entry_id].append(account_id)
    return found


async def _lock_head(session: AsyncSession, tenant_id: uuid.UUID) -> AuditChainHead:
    """The school's chain head, locked until the transaction ends (created on first use)."""
    head_table = AuditChainHead.__table__  # type: ignore[attr-defined]
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        create: Any = pg_insert(head_table).on_conflict_do_nothing()
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        create = sqlite_insert(head_table).on_conflict_do_nothing()
    await session.execute(create.values(tenant_id=tenant_id, seq=0, hash=GENESIS))
    # An UPDATE takes the row lock on PostgreSQL and the write lock on SQLite alike.
    await session.execute(
        update(AuditChainHead)
        .where(col(AuditChainHead.tenant_id) == tenant_id)
        .values(sealed_at=clock.now())
    )
    head = (
        await session.execute(
            select(AuditChainHead)
            .where(col(AuditChainHead.tenant_id) == tenant_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    return head


async def seal_school(session: AsyncSession, tenant_id: uuid.UUID, *, batch: int = BATCH) -> int:
    """Seal the school's unsealed entries in id order; returns how many were sealed.

    Runs in the caller's transaction, which holds the school's chain head until it ends.
    """
    await set_tenant(session, tenant_id)
    waiting = await session.execute(
        select(col(AuditEntry.id))
        .where(col(AuditEntry.tenant_id) == tenant_id, col(AuditEntry.seq).is_(None))
        .limit(1)
    )
    if waiting.first() is None:
        return 0  # nothing to seal: take no lock, write nothing
    head = await _lock_head(session, tenant_id)
    seq, prev = head.seq, head.hash or GENESIS
    sealed = 0
    while True:
        entries = (
            (
                await session.execute(
                    select(AuditEntry)
                    .where(col(AuditEntry.tenant_id) == tenant_id, col(AuditEntry.seq).is_(None))
                    .order_by(col(AuditEntry.id))
                    .limit(batch)
                )
            )
            .scalars()
            .all()
        )
        if not entries:
            break
        subjects = await _subjects_of(session, tenant_id, [e.id for e in entries])
        links: list[dict[str, Any]] = []
        for entry in entries:
            seq += 1
            digest = entry_hash(prev, entry, subjects[entry.id])
            links.append({"b_id": entry.id, "b_seq": seq, "b_prev": prev, "b_hash": digest})
            prev = digest
        table = AuditEntry.__table__  # type: ignore[attr-defined]
        await session.execute(
            table.update()
            .where(table.c.tenant_id == tenant_id, table.c.id == bindparam("b_id"))
            .values(
                seq=bindparam("b_seq"), prev_hash=bindparam("b_prev"), hash=bindparam("b_hash")
            ),
            links,
        )
        sealed += len(entries)
        session.expunge_all()
    if sealed:
        await session.execute(
            update(AuditChainHead)
            .where(col(AuditChainHead.tenant_id) == tenant_id)
            .values(seq=seq, hash=prev, sealed_at=clock.now())
        )
    return sealed


@dataclass
class ChainReport:
    """What `verify` found: counts, and the first broken link if any."""

    sealed: int = 0
    unsealed: int = 0
    problem: str | None = None
    entry_id: uuid.UUID | None = None
    seq: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def lines(self, slug: str) -> list[str]:
        verdict = "chain intact" if self.ok else f"CHAIN BROKEN: {self.problem}"
        return [
            f"{slug}: {self.sealed} sealed entries checked, {self.unsealed} not sealed yet",
            f"{slug}: {verdict}",
        ]


async def _sealed_batch(
    session: AsyncSession, tenant_id: uuid.UUID, after_seq: int, limit: int
) -> list[tuple[uuid.UUID, int, str | None, str | None, AuditEntry | None]]:
    """(id, seq, prev_hash, hash, entry or None when the row no longer loads) in seq order."""
    keys = (
        await session.execute(
            select(
                col(AuditEntry.id),
                col(AuditEntry.seq),
                col(AuditEntry.prev_hash),
                col(AuditEntry.hash),
            )
            .where(
                col(AuditEntry.tenant_id) == tenant_id,
                col(AuditEntry.seq).is_not(None),
                col(AuditEntry.seq) > after_seq,
            )
            .order_by(col(AuditEntry.seq), col(AuditEntry.id))
            .limit(limit)
        )
    ).all()
    ids = [k[0] for k in keys]
    loaded: dict[uuid.UUID, AuditEntry] = {}
    try:
        rows = await session.execute(
            select(AuditEntry).where(
                col(AuditEntry.tenant_id) == tenant_id, col(AuditEntry.id).in_(ids)
            )
        )
        loaded = {e.id: e for e in rows.scalars()}
    except (ValueError, TypeError, OverflowError):
        # A column edited into something its type cannot read: load row by row to name it.
        for entry_id in ids:
            try:
                one = await session.execute(
                    select(AuditEntry).where(
                        col(AuditEntry.tenant_id) == tenant_id, col(AuditEntry.id) == entry_id
                    )
                )
                loaded[entry_id] = one.scalar_one()
            except (ValueError, TypeError, OverflowError):
                continue
    return [(k[0], int(k[1] or 0), k[2], k[3], loaded.get(k[0])) for k in keys]


async def verify_school(
    session: AsyncSession, tenant_id: uuid.UUID, *, batch: int = BATCH
) -> ChainReport:
    """Walk the school's sealed entries in seq order; stop at the first broken link."""
    await set_tenant(session, tenant_id)
    report = ChainReport()
    report.unsealed = (
        await session.execute(
            select(func.count())
            .select_from(AuditEntry)
            .where(col(AuditEntry.tenant_id) == tenant_id, col(AuditEntry.seq).is_(None))
        )
    ).scalar_one()
    head = (
        await session.execute(
            select(AuditChainHead).where(col(AuditChainHead.tenant_id) == tenant_id)
        )
    ).scalar_one_or_none()
    expected_seq, prev = 1, GENESIS
    while True:
        rows = await _sealed_batch(session, tenant_id, expected_seq - 1, batch)
        if not rows:
            break
        subjects = await _subjects_of(session, tenant_id, [r[0] for r in rows])
        for entry_id, seq, prev_hash, stored_hash, entry in rows:
            problem = _check(entry_id, seq, prev_hash, stored_hash, entry, subjects, expected_seq)
            if problem is None and prev_hash != prev:
                problem = (
                    f"entry {entry_id} (seq {seq}) does not follow the entry before it: "
                    "reordered or its predecessor replaced"
                )
            if problem is not None:
                report.problem, report.entry_id, report.seq = problem, entry_id, seq
                return report
            report.sealed += 1
            expected_seq, prev = seq + 1, str(stored_hash)
        session.expunge_all()
    if head is not None and head.seq >= expected_seq:
        report.problem = (
            f"entry seq {expected_seq} removed: the chain's head is at seq {head.seq} "
            f"but the last sealed entry is seq {expected_seq - 1}"
        )
        report.seq = expected_seq
    elif head is not None and head.seq == expected_seq - 1 and head.seq and head.hash != prev:
        report.problem = f"the last sealed entry (seq {head.seq}) is not the one the head sealed"
        report.seq = head.seq
    return report


def _check(
    entry_id: uuid.UUID,
    seq: int,
    prev_hash: str | None,
    stored_hash: str | None,
    entry: AuditEntry | None,
    subjects: dict[uuid.UUID, list[uuid.UUID]],
    expected_seq: int,
) -> str | None:
    if seq > expected_seq:
        return f"entry seq {expected_seq} removed (the next sealed entry is {entry_id}, seq {seq})"
    if seq < expected_seq:
        return f"entry {entry_id} repeats seq {seq}: reordered"
    if entry is None:
        return f"entry {entry_id} (seq {seq}) edited: its data no longer reads"
    try:
        digest = entry_hash(str(prev_hash), entry, subjects.get(entry_id, []))
    except (ValueError, TypeError):
        return f"entry {entry_id} (seq {seq}) edited: its data no longer reads"
    if digest != stored_hash:
        return f"entry {entry_id} (seq {seq}) edited: its hash does not match its data"
    return None


async def seal_all(db: Database, slug: str | None = None) -> dict[str, int]:
    """Seal every school (or one), each in its own transaction: {slug: entries sealed}."""
    async with db.session() as session:
        tenants = await tenancy_repository.all_tenants(session)
    sealed: dict[str, int] = {}
    for tenant in tenants:
        if slug is not None and tenant.slug != slug:
            continue
        async with db.session() as session:
            sealed[tenant.slug] = await seal_school(session, tenant.id)
    return sealed


async def verify_slug(db: Database, slug: str) -> ChainReport | None:
    """Verify one school's chain; None when there is no such school."""
    async with db.session() as session:
        tenant = await tenancy_repository.tenant_by_slug(session, slug)
        if tenant is None:
            return None
        return await verify_school(session, tenant.id)
