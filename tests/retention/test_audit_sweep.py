"""The audit log swept (RET-4, SEC-7): entries older than the period go, per school, only up to
a signed checkpoint, and the chain restarts from a signed base, so `rostra audit verify` still
passes afterwards and still catches an edited or removed entry among those kept. Legal holds
stop it like any category (RET-5)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update

from app.authz.checkpoints import ChainSigning
from app.authz.models import AuditChainHead, AuditEntry, AuditSubject
from app.authz.sealing import seal_all, seal_school
from app.core import clock
from app.core.db import set_tenant
from app.core.vocabulary import HoldScope, RetentionCategory
from app.retention.models import DeletionLog, LegalHold
from app.retention.service import sweep_all
from tests.authz.test_chain import cli_env, rostra  # noqa: F401  (the CLI in-process)
from tests.authz.world import add_entry
from tests.factories import add_member

A = "demo-north"
YEARS_4 = 4 * 365 * 86400
OLD, KEPT = 6, 4


async def _sweep(owner, *, dry_run=False):
    [report] = await sweep_all(
        owner.db,
        owner.settings,
        A,
        [RetentionCategory.AUDIT],
        dry_run=dry_run,
        batch_size=3,
        trigger="cli",
    )
    return report


async def _entries(owner, school) -> list[AuditEntry]:
    async with owner.db.session() as session:
        await set_tenant(session, school.id)
        rows = await session.execute(
            select(AuditEntry)
            .where(AuditEntry.tenant_id == school.id)
            .order_by(AuditEntry.seq.is_(None), AuditEntry.seq, AuditEntry.id)
        )
        return list(rows.scalars())


async def _chain(owner, school, person: uuid.UUID | None = None) -> tuple[int, list[uuid.UUID]]:
    """OLD entries four years ago (with what the schools' setup wrote), KEPT entries now, all
    sealed and checkpointed; (entries written before the clock moved, the kept entries' ids)."""
    for i in range(OLD):
        await add_entry(owner, school, subjects=[person] if person and i == 3 else [uuid.uuid4()])
    await seal_all(owner.db)
    old = len(await _entries(owner, school))
    clock.advance(YEARS_4)
    kept = [await add_entry(owner, school, subjects=[uuid.uuid4()]) for _ in range(KEPT)]
    await seal_all(owner.db)
    return old, kept


async def _sql(owner, school, statement) -> None:
    async with owner.db.session() as session:
        await set_tenant(session, school.id)
        await session.execute(statement)


async def test_ret4_sec7_old_entries_go_and_the_chain_still_verifies(owner, schools, cli_env):  # noqa: F811
    north, south = schools[A], schools["demo-south"]
    old, kept = await _chain(owner, north)
    theirs = len(await _entries(owner, south))
    unsealed = await add_entry(owner, north, subjects=[])

    would = await _sweep(owner, dry_run=True)
    assert would.counts()["audit"]["auditentry"] == {"would": old}
    report = await _sweep(owner)
    assert report.counts()["audit"]["auditentry"] == {"deleted": old}
    left = await _entries(owner, north)
    assert [e.id for e in left] == [*kept, unsealed]
    assert len(await _entries(owner, south)) == theirs  # another school's chain is untouched
    async with owner.db.session() as session:
        await set_tenant(session, north.id)
        head = await session.get(AuditChainHead, north.id)
        assert head is not None and head.base_seq == old
        assert left[0].prev_hash == head.base_hash
        subjects = await session.scalar(
            select(func.count()).select_from(AuditSubject).where(AuditSubject.tenant_id == north.id)
        )
        assert subjects == KEPT  # the removed entries' subjects went with them
        logged = await session.scalar(
            select(func.sum(DeletionLog.row_count)).where(DeletionLog.table_name == "auditentry")
        )
        assert logged == old

    verified = await rostra("audit", "verify", A)
    assert verified.exit_code == 0, verified.output
    assert (
        f"{KEPT} sealed entries checked (from seq {old + 1}: older ones swept)" in verified.output
    )
    assert "chain intact" in verified.output
    again = await _sweep(owner)
    assert again.counts()["audit"]["auditentry"] == {}

    await _sql(
        owner, north, update(AuditEntry).where(AuditEntry.id == kept[1]).values(purpose="security")
    )
    edited = await rostra("audit", "verify", A)
    assert edited.exit_code == 1 and f"entry {kept[1]} (seq {old + 2}) edited" in edited.output


async def test_sec7_an_entry_removed_after_the_base_is_caught(owner, schools, cli_env):  # noqa: F811
    north = schools[A]
    old, kept = await _chain(owner, north)
    await _sweep(owner)
    await _sql(
        owner, north, AuditSubject.__table__.delete().where(AuditSubject.entry_id == kept[0])
    )  # type: ignore[attr-defined]
    await _sql(owner, north, AuditEntry.__table__.delete().where(AuditEntry.id == kept[0]))  # type: ignore[attr-defined]
    result = await rostra("audit", "verify", A)
    assert result.exit_code == 1
    assert f"entry seq {old + 1} removed" in result.output


async def test_sec7_a_base_moved_over_removed_entries_is_caught(owner, schools, cli_env):  # noqa: F811
    """Whoever writes the database cannot sign a base: moving it forward over entries they
    removed shows, and so does a base copied from another position."""
    north = schools[A]
    old, kept = await _chain(owner, north)
    await _sweep(owner)
    first = (await _entries(owner, north))[0]
    await _sql(
        owner, north, AuditSubject.__table__.delete().where(AuditSubject.entry_id == kept[0])
    )  # type: ignore[attr-defined]
    await _sql(owner, north, AuditEntry.__table__.delete().where(AuditEntry.id == kept[0]))  # type: ignore[attr-defined]
    await _sql(
        owner,
        north,
        update(AuditChainHead)
        .where(AuditChainHead.tenant_id == north.id)
        .values(base_seq=old + 1, base_hash=first.hash),
    )
    result = await rostra("audit", "verify", A)
    assert result.exit_code == 1
    assert f"the chain's base (seq {old + 1}) is forged or altered" in result.output


async def _hold(owner, school, **fields) -> uuid.UUID:
    async with owner.db.session() as session:
        await set_tenant(session, school.id)
        hold = LegalHold(tenant_id=school.id, **fields)
        session.add(hold)
    return hold.id


async def test_ret5_a_category_hold_keeps_every_entry(owner, schools):
    north = schools[A]
    old, _ = await _chain(owner, north)
    await _hold(
        owner,
        north,
        scope=HoldScope.CATEGORY,
        category=RetentionCategory.AUDIT.value,
        reason="regulator's inquiry",
    )
    report = await _sweep(owner)
    assert report.counts()["audit"]["auditentry"] == {"held": old}
    assert report.held()[0]["reason"] == "regulator's inquiry"
    assert len(await _entries(owner, north)) == old + KEPT


async def test_ret5_a_person_hold_keeps_the_chain_from_their_first_entry_on(owner, schools):
    """The chain is removed only as a prefix: it stops before the first entry about a held
    person, so what the hold keeps stays verifiable."""
    north = schools[A]
    person, _ = await add_member(owner, north, "+8613800000777", "student", name="Held")
    old, _ = await _chain(owner, north, person.id)
    theirs = await _about(owner, person)
    about = next(e for e in await _entries(owner, north) if e.id in theirs)
    await _hold(owner, north, scope=HoldScope.PERSON, account_id=person.id, reason="a court order")
    report = await _sweep(owner)
    assert report.counts()["audit"]["auditentry"]["deleted"] == about.seq - 1
    left = await _entries(owner, north)
    assert left[0].id == about.id and len(left) == old + KEPT - (about.seq - 1)
    signing = ChainSigning.from_settings(owner.settings)
    async with owner.db.session() as session:
        from app.authz.verification import verify_school

        await set_tenant(session, north.id)
        assert (await verify_school(session, north.id, signing)).ok


async def _about(owner, person) -> set[uuid.UUID]:
    async with owner.db.session() as session:
        rows = await session.execute(
            select(AuditSubject.entry_id).where(AuditSubject.account_id == person.id)
        )
        return set(rows.scalars())


async def test_ret4_without_a_checkpoint_or_with_a_broken_chain_nothing_goes(owner, schools):
    """The sweep removes only what a signed checkpoint covers, and never the evidence of
    tampering: a chain that does not verify is left as it is, saying why."""
    north = schools[A]
    for _ in range(3):
        await add_entry(owner, north, subjects=[])
    async with owner.db.session() as session:  # sealed, but no checkpoint written
        await seal_school(session, north.id, ChainSigning.from_settings(owner.settings).chain_key)
    clock.advance(YEARS_4)
    report = await _sweep(owner)
    assert "no signed checkpoint" in (report.categories[0].note or "")
    assert len(await _entries(owner, north)) >= 3

    await seal_all(owner.db)
    await add_entry(owner, north, subjects=[])
    await seal_all(owner.db)
    victim = (await _entries(owner, north))[1]
    await _sql(
        owner, north, update(AuditEntry).where(AuditEntry.id == victim.id).values(action="x")
    )
    report = await _sweep(owner)
    assert "the chain does not verify" in (report.categories[0].note or "")
    assert f"entry {victim.id}" in (report.categories[0].note or "")
    assert any(e.id == victim.id for e in await _entries(owner, north))
