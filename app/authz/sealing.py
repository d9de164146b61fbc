"""The audit chain: a sealer links each school's entries by keyed hash, `verify` walks the links.

Requests only append entries (no shared row to queue behind); shortly after, the sealer
gives each unsealed entry the next position (`seq`), the previous entry's hash and its own
hash, an HMAC under a key the database never holds (`ROSTRA_AUDIT_KEY`), so whoever can
write the database cannot recompute it. One row per school (`auditchainhead`) is locked
while sealing, so two sealers never interleave; after each run the new head is published
as a signed checkpoint outside the database (`checkpoints`). A removed entry leaves a gap
in `seq`, an edited one no longer matches its hash, a moved one no longer follows the hash
it names, and entries cut off the end fall short of the newest checkpoint.

With several processes (API workers, `rostra audit seal`) a seal run holds the advisory
lock `audit-sealer` (`app.core.locks`): the background sealer of a process that finds it
taken skips its round, since another process is sealing; the command waits its turn.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.authz.checkpoints import ChainSigning
from app.authz.models import AuditChainHead, AuditEntry, AuditSubject
from app.core import clock, locks
from app.core.db import Database, set_tenant
from app.core.security import keyed_hash
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


def entry_hash(key: bytes, prev_hash: str, entry: AuditEntry, subjects: Sequence[uuid.UUID]) -> str:
    """HMAC-SHA256 of the previous hash and the entry's facts under the chain key."""
    return keyed_hash(key, f"{prev_hash}\n{canonical(entry, subjects)}")


async def subjects_of(
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


@dataclass(frozen=True)
class Sealed:
    """One seal run of a school: how many entries, and the head it left (for the checkpoint)."""

    count: int
    seq: int = 0
    entry_id: uuid.UUID | None = None
    hash: str = GENESIS


async def seal_school(
    session: AsyncSession, tenant_id: uuid.UUID, key: bytes, *, batch: int = BATCH
) -> Sealed:
    """Seal the school's unsealed entries in id order under the chain `key`.

    Runs in the caller's transaction, which holds the school's chain head until it ends.
    """
    await set_tenant(session, tenant_id)
    waiting = await session.execute(
        select(col(AuditEntry.id))
        .where(col(AuditEntry.tenant_id) == tenant_id, col(AuditEntry.seq).is_(None))
        .limit(1)
    )
    if waiting.first() is None:
        return Sealed(0)  # nothing to seal: take no lock, write nothing
    head = await _lock_head(session, tenant_id)
    seq, prev = head.seq, head.hash or GENESIS
    sealed, last_id = 0, None
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
        subjects = await subjects_of(session, tenant_id, [e.id for e in entries])
        links: list[dict[str, Any]] = []
        for entry in entries:
            seq += 1
            digest = entry_hash(key, prev, entry, subjects[entry.id])
            links.append({"b_id": entry.id, "b_seq": seq, "b_prev": prev, "b_hash": digest})
            prev, last_id = digest, entry.id
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
    return Sealed(sealed, seq, last_id, prev)


SEALER_LOCK = "audit-sealer"


async def seal_all(
    db: Database, slug: str | None = None, signing: ChainSigning | None = None
) -> dict[str, int]:
    """Seal every school (or one), each in its own transaction: {slug: entries sealed}.

    Waits for the sealer lock, so it never runs beside another process's seal run. Each
    school's new head is published as a signed checkpoint once its transaction has
    committed, so a checkpoint never names a head the database does not hold.
    """
    signing = signing or ChainSigning.from_settings(db.settings)
    async with locks.held(db, SEALER_LOCK, wait=True):
        return await _seal_each(db, slug, signing)


async def seal_round(db: Database, signing: ChainSigning | None = None) -> dict[str, int] | None:
    """The background sealer's round; None (nothing done) while another process seals."""
    signing = signing or ChainSigning.from_settings(db.settings)
    async with locks.held(db, SEALER_LOCK, wait=False) as mine:
        return await _seal_each(db, None, signing) if mine else None


async def _seal_each(db: Database, slug: str | None, signing: ChainSigning) -> dict[str, int]:
    async with db.session() as session:
        tenants = await tenancy_repository.all_tenants(session)
    sealed: dict[str, int] = {}
    for tenant in tenants:
        if slug is not None and tenant.slug != slug:
            continue
        async with db.session() as session:
            run = await seal_school(session, tenant.id, signing.chain_key)
        sealed[tenant.slug] = run.count
        if run.count and run.entry_id is not None:
            await signing.write(tenant.id, run.seq, run.entry_id, run.hash, clock.now())
    return sealed
