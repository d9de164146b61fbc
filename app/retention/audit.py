"""The audit log's retention: its oldest entries go, and the chain restarts from a signed base.

The entries are hash-chained per school (`app.authz.sealing`), so the sweep may not take any
expired entry it likes. It takes a prefix of the chain: sealed entries up to the newest
signed checkpoint's seq, all older than the period, stopping before the first entry about a
person under a legal hold, and only once `verify` passes (a sweep never erases the evidence
of tampering). Each batch that removes entries moves the school's chain base
(`auditchainhead.base_seq`, `base_hash`: the last removed entry's position and hash) in the
same transaction, signed with the checkpoint key, so `rostra audit verify` starts from there
and a database writer cannot move the base over entries they removed.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.checkpoints import ChainSigning, CheckpointProblem
from app.authz.models import AuditChainHead, AuditEntry, AuditSubject
from app.authz.verification import verify_school
from app.core.db import Database, set_tenant

_ENTRY = AuditEntry.__table__  # type: ignore[attr-defined]
_SUBJECT = AuditSubject.__table__  # type: ignore[attr-defined]
_HEAD = AuditChainHead.__table__  # type: ignore[attr-defined]


async def chain_bound(
    db: Database, school: uuid.UUID, cutoff: datetime, people: frozenset[uuid.UUID]
) -> tuple[int | None, str | None]:
    """(the last seq the sweep may remove, None) or (None, why it removes nothing)."""
    signing = ChainSigning.from_settings(db.settings)
    try:
        checkpoint = await signing.latest(school)
    except CheckpointProblem as exc:
        return None, f"not swept: {exc}"
    if checkpoint is None:
        return None, "not swept: no signed checkpoint of the chain yet (`rostra audit seal`)"
    async with db.session() as session:
        await set_tenant(session, school)
        sealed = [_ENTRY.c.tenant_id == school, _ENTRY.c.seq.is_not(None)]
        young = await session.scalar(
            select(func.min(_ENTRY.c.seq)).where(*sealed, _ENTRY.c.at >= cutoff)
        )
        held = None
        if people:
            about = select(_SUBJECT.c.entry_id).where(
                _SUBJECT.c.tenant_id == school, _SUBJECT.c.account_id.in_(people)
            )
            held = await session.scalar(
                select(func.min(_ENTRY.c.seq)).where(*sealed, _ENTRY.c.id.in_(about))
            )
        upto = min([checkpoint.seq, *(s - 1 for s in (young, held) if s is not None)])
        base = await session.scalar(select(_HEAD.c.base_seq).where(_HEAD.c.tenant_id == school))
        if upto <= (base or 0):
            return upto, None  # nothing to remove: no need to walk the chain
        report = await verify_school(session, school, signing)
        if not report.ok:
            return None, f"not swept: the chain does not verify ({report.problem})"
    return upto, None


async def rebase(session: AsyncSession, db: Database, school: uuid.UUID, ids: list[Any]) -> None:
    """Before a batch removes these entries: the chain's base moves to the newest of them."""
    newest = (
        await session.execute(
            select(_ENTRY.c.seq, _ENTRY.c.hash)
            .where(_ENTRY.c.tenant_id == school, _ENTRY.c.id.in_(ids), _ENTRY.c.seq.is_not(None))
            .order_by(_ENTRY.c.seq.desc())
            .limit(1)
        )
    ).first()
    if newest is None:
        return
    seq, digest = int(newest[0]), str(newest[1])
    signature = ChainSigning.from_settings(db.settings).sign_base(school, seq, digest)
    await session.execute(
        update(_HEAD)
        .where(_HEAD.c.tenant_id == school, _HEAD.c.base_seq < seq)
        .values(base_seq=seq, base_hash=digest, base_signature=signature)
    )
