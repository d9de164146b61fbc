"""`rostra audit verify`: walk a school's sealed entries and hold them to the newest checkpoint.

Stops at the first broken link and names it: a removed entry (a gap in `seq`, or the chain
ending short of what the head or the newest checkpoint signed), an edited one (its keyed hash
no longer matches its data), a moved one (it no longer follows the hash it names), or a
checkpoint whose signature does not match. Once the retention sweep removed the oldest
entries, the walk starts from the chain's signed base (the last removed entry's seq and
hash, `auditchainhead.base_*`) instead of genesis.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.authz.checkpoints import ChainSigning, Checkpoint, CheckpointProblem
from app.authz.models import AuditChainHead, AuditEntry
from app.authz.sealing import BATCH, GENESIS, entry_hash, subjects_of
from app.core.db import Database, set_tenant
from app.tenancy import repository as tenancy_repository


@dataclass
class ChainReport:
    """What `verify` found: counts, the checkpoint used, and the first broken link if any."""

    sealed: int = 0
    unsealed: int = 0
    base_seq: int = 0  # entries up to here were removed by the retention sweep
    problem: str | None = None
    entry_id: uuid.UUID | None = None
    seq: int | None = None
    checkpoint: Checkpoint | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def lines(self, slug: str) -> list[str]:
        verdict = "chain intact" if self.ok else f"CHAIN BROKEN: {self.problem}"
        if self.checkpoint is not None:
            against = (
                f"checked against checkpoint {self.checkpoint.name} (seq {self.checkpoint.seq})"
            )
        else:
            against = "no checkpoint yet"
        since = f" (from seq {self.base_seq + 1}: older ones swept)" if self.base_seq else ""
        return [
            f"{slug}: {self.sealed} sealed entries checked{since}, {self.unsealed} not sealed yet",
            f"{slug}: {against}",
            f"{slug}: {verdict}",
        ]


SealedRow = tuple[uuid.UUID, int, str | None, str | None, AuditEntry | None]


async def _sealed_batch(
    session: AsyncSession, tenant_id: uuid.UUID, after_seq: int, limit: int
) -> list[SealedRow]:
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
    session: AsyncSession, tenant_id: uuid.UUID, signing: ChainSigning, *, batch: int = BATCH
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
    try:
        report.checkpoint = await signing.latest(tenant_id)
    except CheckpointProblem as exc:
        report.problem = str(exc)
        return report
    head = (
        await session.execute(
            select(AuditChainHead).where(col(AuditChainHead.tenant_id) == tenant_id)
        )
    ).scalar_one_or_none()
    base, problem = _base(signing, tenant_id, head, report.checkpoint)
    if problem is not None:
        report.problem, report.seq = problem, base[0]
        return report
    report.base_seq = base[0]
    expected_seq, prev = base[0] + 1, base[1]
    while True:
        rows = await _sealed_batch(session, tenant_id, expected_seq - 1, batch)
        if not rows:
            break
        subjects = await subjects_of(session, tenant_id, [r[0] for r in rows])
        for entry_id, seq, prev_hash, stored_hash, entry in rows:
            problem = _check(
                signing.chain_key, (entry_id, seq, prev_hash, stored_hash, entry), subjects,
                expected_seq,
            )  # fmt: skip
            if problem is None and prev_hash != prev:
                problem = (
                    f"entry {entry_id} (seq {seq}) does not follow the entry before it: "
                    "reordered or its predecessor replaced"
                )
            if problem is None:
                problem = _against_checkpoint(report.checkpoint, entry_id, seq, stored_hash)
            if problem is not None:
                report.problem, report.entry_id, report.seq = problem, entry_id, seq
                return report
            report.sealed += 1
            expected_seq, prev = seq + 1, str(stored_hash)
        session.expunge_all()
    head = (  # read again: entries sealed during the walk moved it on
        await session.execute(
            select(AuditChainHead).where(col(AuditChainHead.tenant_id) == tenant_id)
        )
    ).scalar_one_or_none()
    report.problem, report.seq = _chain_end(report.checkpoint, head, expected_seq - 1, prev)
    return report


def _base(
    signing: ChainSigning,
    tenant_id: uuid.UUID,
    head: AuditChainHead | None,
    checkpoint: Checkpoint | None,
) -> tuple[tuple[int, str], str | None]:
    """Where the walk starts: genesis, or the signed base the retention sweep left when it
    removed the oldest entries (only ever up to a checkpoint's seq)."""
    if head is None or not head.base_seq:
        return (0, GENESIS), None
    seq, digest = head.base_seq, head.base_hash
    if not signing.base_is_genuine(tenant_id, seq, digest, head.base_signature):
        return (seq, digest), (
            f"the chain's base (seq {seq}) is forged or altered: its signature does not match"
        )
    if checkpoint is None or checkpoint.seq < seq:
        return (seq, digest), (
            f"the chain's base (seq {seq}) is past the newest checkpoint: checkpoints removed"
        )
    if checkpoint.seq == seq and checkpoint.hash != digest:
        return (seq, digest), (
            f"the chain's base (seq {seq}) is not the entry checkpoint {checkpoint.name} signed"
        )
    return (seq, digest), None


def _check(
    key: bytes,
    row: SealedRow,
    subjects: dict[uuid.UUID, list[uuid.UUID]],
    expected_seq: int,
) -> str | None:
    entry_id, seq, prev_hash, stored_hash, entry = row
    if seq > expected_seq:
        return f"entry seq {expected_seq} removed (the next sealed entry is {entry_id}, seq {seq})"
    if seq < expected_seq:
        return f"entry {entry_id} repeats seq {seq}: reordered"
    if entry is None:
        return f"entry {entry_id} (seq {seq}) edited: its data no longer reads"
    try:
        digest = entry_hash(key, str(prev_hash), entry, subjects.get(entry_id, []))
    except (ValueError, TypeError):
        return f"entry {entry_id} (seq {seq}) edited: its data no longer reads"
    if digest != stored_hash:
        return f"entry {entry_id} (seq {seq}) edited: its hash does not match its data"
    return None


def _against_checkpoint(
    checkpoint: Checkpoint | None, entry_id: uuid.UUID, seq: int, stored_hash: str | None
) -> str | None:
    if checkpoint is None or seq != checkpoint.seq:
        return None
    if entry_id != checkpoint.entry_id or stored_hash != checkpoint.hash:
        return (
            f"entry {entry_id} (seq {seq}) is not the entry checkpoint {checkpoint.name} "
            f"signed ({checkpoint.entry_id}): replaced"
        )
    return None


def _chain_end(
    checkpoint: Checkpoint | None, head: AuditChainHead | None, last: int, last_hash: str
) -> tuple[str | None, int | None]:
    """Where the walk ended, held to the head row and the newest checkpoint."""
    if checkpoint is not None and checkpoint.seq > last:
        missing = (
            f"entry {checkpoint.entry_id} (seq {checkpoint.seq})"
            if checkpoint.seq == last + 1
            else f"entries seq {last + 1} to {checkpoint.seq} (the last {checkpoint.entry_id})"
        )
        return (
            f"{missing} removed: checkpoint {checkpoint.name} signed the chain up to seq "
            f"{checkpoint.seq} but the last sealed entry is seq {last}",
            last + 1,
        )
    if head is None:
        return None, None
    if head.seq > last:
        return (
            f"entry seq {last + 1} removed: the chain's head is at seq {head.seq} "
            f"but the last sealed entry is seq {last}",
            last + 1,
        )
    if head.seq < last:
        return (
            f"the chain's head was moved back: it is at seq {head.seq} "
            f"but sealed entries go up to seq {last}",
            head.seq,
        )
    if head.seq and head.hash != last_hash:
        return f"the last sealed entry (seq {head.seq}) is not the one the head sealed", head.seq
    return None, None


async def verify_slug(db: Database, slug: str) -> ChainReport | None:
    """Verify one school's chain; None when there is no such school."""
    signing = ChainSigning.from_settings(db.settings)
    async with db.session() as session:
        tenant = await tenancy_repository.tenant_by_slug(session, slug)
        if tenant is None:
            return None
        return await verify_school(session, tenant.id, signing)
