"""Deleting a school: every row of every tenant table and every object, then the proof.

The tables come from the metadata (children before parents); those the count before finds
rows in are emptied in bounded transactions of at most `BATCH` rows each (a large table in
batches of its own, small ones sharing one), so other schools' requests are never held up
for long. The count after, in the proof's transaction, is the check: rows it finds (written
meanwhile) are deleted and counted again before the school's row goes. It runs as the
schema owner, through the process's one owner pool (the service's role may not delete the
school itself); row-level security still admits only the school being deleted. The counts
before and the object keys are taken once, at the start, so a run killed half-way and run
again finishes the work and proves it against the school as it was. The proof is signed
with a key derived from the audit key and kept in a platform table: nothing of the school,
the slug is free. The deletion log gets a whole-school entry with the proof, so replaying
the log into a backup restored from before deletes the school there again (`replay_school`,
RET-6).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import uuid
from typing import Any

from sqlalchemy import Table, TextClause, delete, func, insert, literal, select, text, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.classroom.files.storage import get_store
from app.classroom.models import LessonFile
from app.core import clock
from app.core.config import Settings
from app.core.context import ServiceContext
from app.core.db import Database, is_postgres, set_tenant
from app.core.errors import NotFound
from app.core.ids import parse_id
from app.core.security import derive_key
from app.lifecycle import repository
from app.lifecycle.models import DeletionProof, Offboarding, OffboardingStatus
from app.lifecycle.tables import metadata
from app.privacy.messages import NoticeKind
from app.privacy.models import NoticeAcceptance, PersonalNotice
from app.retention.models import DeletionLog
from app.retention.replay import SchoolReplayed, log_row, school_entry
from app.tenancy.models import Tenant

BATCH = 10_000
ROUNDS = 5  # deletions and counts after, until the count finds nothing left
_ACCEPTANCE: Table = NoticeAcceptance.__table__  # type: ignore[attr-defined]
_TENANT: Table = Tenant.__table__  # type: ignore[attr-defined]
_LOG: Table = DeletionLog.__table__  # type: ignore[attr-defined]


def school_tables() -> list[Table]:
    """Every tenant table, children before the tables they point to."""
    return [t for t in reversed(metadata.sorted_tables) if "tenant_id" in t.c]


def _school_column(table: Table) -> Any:
    """The column naming the school: `tenant_id`, else a foreign key to `tenant.id`."""
    if "tenant_id" in table.c:
        return table.c.tenant_id
    if table is _ACCEPTANCE:
        return table.c.school_id
    return next(fk.parent for fk in table.foreign_keys if fk.column.table is _TENANT)


def _where(table: Table, school_id: uuid.UUID) -> Any:
    return _school_column(table) == school_id


def _counted() -> list[Table]:
    """The school's rows: its tenant tables, the platform rows pointing at the school (a
    provider's linked identities), and the acceptances of its own notices."""
    pointing = [
        t
        for t in reversed(metadata.sorted_tables)
        if "tenant_id" not in t.c and any(fk.column.table is _TENANT for fk in t.foreign_keys)
    ]
    return [*school_tables(), *pointing, _ACCEPTANCE]


async def count_rows(session: AsyncSession, school_id: uuid.UUID) -> dict[str, int]:
    """Rows of the school per table, in one statement (one round trip for every table)."""
    await set_tenant(session, school_id)
    counts = union_all(
        *(
            select(literal(t.name).label("name"), func.count().label("rows"))
            .select_from(t)
            .where(_where(t, school_id))
            for t in _counted()
        )
    )
    result = await session.execute(counts)
    found = {str(name): int(rows) for name, rows in result.all()}
    return {t.name: found.get(t.name, 0) for t in _counted()}


async def _object_keys(session: AsyncSession, offboarding: Offboarding) -> list[str]:
    await set_tenant(session, offboarding.school_id)
    files = await session.execute(
        select(col(LessonFile.object_key)).where(col(LessonFile.tenant_id) == offboarding.school_id)
    )
    keys = sorted(set(files.scalars().all()))
    return keys + ([offboarding.export_key] if offboarding.export_key else [])


def _batch_statement(session: AsyncSession, table: Table) -> TextClause:
    """Delete up to `:n` rows of the school by their physical row id: an index range read
    and a row-id lookup per batch, never a scan of the other schools' rows.

    The table and column names come from the metadata (quoted), never from input.
    """
    quote = session.get_bind().dialect.identifier_preparer.quote
    name = quote(table.name)
    column = quote(_school_column(table).name)
    if is_postgres(session):
        return text(
            f"DELETE FROM {name} WHERE ctid = ANY(ARRAY("
            f"SELECT ctid FROM {name} WHERE {column} = :school LIMIT :n))"
        )
    return text(
        f"DELETE FROM {name} WHERE rowid IN (SELECT rowid FROM {name} WHERE {column} = :school "
        "LIMIT :n)"
    )


# A batch lost in a crash is redone by the rerun (its rows are still there): no WAL flush
# wait per batch. The proof's transaction commits durably.
_NO_FLUSH_WAIT = text("SELECT set_config('synchronous_commit', 'off', true)")


async def _delete_group(db: Database, tables: list[Table], school_id: uuid.UUID, batch: int) -> int:
    """One transaction: up to `batch` rows of each of `tables` (small ones share one)."""
    deleted = 0
    async with db.session() as session:
        await set_tenant(session, school_id)
        if is_postgres(session):
            await session.execute(_NO_FLUSH_WAIT)
        school = school_id if is_postgres(session) else school_id.hex  # SQLite keeps hex
        for table in tables:
            result = await session.execute(
                _batch_statement(session, table), {"school": school, "n": batch}
            )
            deleted += int(getattr(result, "rowcount", 0) or 0)
    return deleted


async def _delete_batch(db: Database, table: Table, school_id: uuid.UUID, batch: int) -> int:
    return await _delete_group(db, [table], school_id, batch)


def _groups(tables: list[Table], counts: dict[str, int], batch: int) -> list[list[Table]]:
    """Children first, as given: a table of `batch` rows or more alone (in batches), the
    smaller ones together, up to `batch` rows a transaction. Uncounted: each alone."""
    groups: list[list[Table]] = []
    small: list[Table] = []
    size = 0
    for table in tables:
        rows = counts.get(table.name, batch)
        if small and size + rows > batch:
            groups.append(small)
            small, size = [], 0
        if rows >= batch:
            groups.append([table])
        else:
            small.append(table)
            size += rows
    return [*groups, small] if small else groups


async def delete_rows(
    db: Database, school_id: uuid.UUID, counts: dict[str, int] | None = None, batch: int = BATCH
) -> int:
    """The school's rows of every table `counts` names rows in (every table without counts),
    in bounded transactions; how many went."""
    tables = [t for t in _counted() if counts is None or counts.get(t.name, 0) > 0]
    deleted = 0
    for group in _groups(tables, counts or {}, batch):
        # A large table's batches end with the rows counted (no empty batch to find out);
        # any written meanwhile are for the count after.
        expected = (counts or {}).get(group[0].name) if len(group) == 1 else None
        emptied = 0
        while (done := await _delete_group(db, group, school_id, batch)) > 0:
            deleted, emptied = deleted + done, emptied + done
            if len(group) > 1 or done < batch or (expected is not None and emptied >= expected):
                break
    return deleted


def sign(settings: Settings, body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    key = derive_key(settings.audit_key, "deletion-proof")
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def proof_body(proof: DeletionProof) -> dict[str, Any]:
    """What the signature covers."""
    return {
        "offboarding_id": str(proof.offboarding_id),
        "school_id": str(proof.school_id),
        "slug": proof.slug,
        "rows_before": proof.rows_before,
        "rows_after": proof.rows_after,
        "objects_removed": proof.objects_removed,
        "objects_left": proof.objects_left,
        "accounts_offered_cancellation": proof.accounts_offered_cancellation,
        "finished_at": proof.finished_at.isoformat(),
    }


async def proof_by_offboarding(session: AsyncSession, offboarding_id: str) -> DeletionProof:
    wanted = parse_id(offboarding_id)
    proof = await repository.proof_of(session, wanted) if wanted else None
    if proof is None:
        raise NotFound("no deletion proof for this offboarding")
    return proof


def verify(settings: Settings, proof: DeletionProof) -> bool:
    return hmac.compare_digest(sign(settings, proof_body(proof)), proof.signature)


async def _begin(db: Database, offboarding_id: uuid.UUID) -> Offboarding | None:
    """Counts and object keys, taken once; None when there is nothing (left) to delete."""
    async with db.session() as session:
        offboarding = await session.get(Offboarding, offboarding_id)
        if offboarding is None or offboarding.status != OffboardingStatus.SCHEDULED:
            return None
        if offboarding.rows_before is None:
            offboarding.rows_before = await count_rows(session, offboarding.school_id)
            offboarding.object_keys = await _object_keys(session, offboarding)
            await session.flush()
        return offboarding


async def _offered(session: AsyncSession, offboarding_id: uuid.UUID) -> int:
    query = select(func.count()).where(
        col(PersonalNotice.kind) == NoticeKind.OFFBOARDING,
        col(PersonalNotice.ref_id) == offboarding_id,
    )
    return int((await session.execute(query)).scalar_one())


async def _finish(
    db: Database,
    settings: Settings,
    offboarding: Offboarding,
    removed: int,
    left: int,
    entry: dict[str, Any] | None,
) -> DeletionProof | dict[str, int]:
    """The tenant row, the proof and the deletion log's whole-school entry, together; or,
    when the count after finds rows (written while the deletion ran), those counts."""
    async with db.session() as session:
        existing = await repository.proof_of(session, offboarding.id)
        if existing is not None:
            return existing
        rows_after = await count_rows(session, offboarding.school_id)
        if any(rows_after.values()):
            return {name: rows for name, rows in rows_after.items() if rows}
        await session.execute(delete(_TENANT).where(_TENANT.c.id == offboarding.school_id))
        rows_before = offboarding.rows_before or {}
        proof = DeletionProof(
            offboarding_id=offboarding.id, school_id=offboarding.school_id,
            slug=offboarding.slug, rows_before=rows_before, rows_after=rows_after,
            objects_removed=removed, objects_left=left,
            accounts_offered_cancellation=await _offered(session, offboarding.id),
            finished_at=clock.now(), signature="",
        )  # fmt: skip
        proof.signature = sign(settings, proof_body(proof))
        session.add(proof)
        row = await session.get(Offboarding, offboarding.id)
        assert row is not None
        row.status, row.deleted_at = OffboardingStatus.DELETED, proof.finished_at
        await _log_school(session, entry or school_entry(
            offboarding.school_id, sum(rows_before.values()), offboarding.reason,
            offboarding.id, proof.finished_at,
        ))  # fmt: skip
        await session.flush()
        return proof


async def _log_school(session: AsyncSession, entry: dict[str, Any]) -> None:
    """So a backup restored from before the deletion loses the school again (RET-6)."""
    row = log_row(entry)
    known = await session.execute(select(_LOG.c.id).where(_LOG.c.id == row["id"]))
    if known.first() is None:
        await session.execute(insert(_LOG).values(row))


async def _delete(
    db: Database, offboarding_id: uuid.UUID, entry: dict[str, Any] | None = None
) -> DeletionProof | None:
    settings = db.settings
    offboarding = await _begin(db, offboarding_id)
    if offboarding is None:
        async with db.session() as session:
            return await repository.proof_of(session, offboarding_id)
    store, keys = get_store(settings), offboarding.object_keys or []
    for key in keys:
        await store.delete(key)
    left = sum([await store.exists(key) for key in keys])
    removed = len(keys) - left  # the same on a rerun, whichever run removed them
    shutil.rmtree(settings.checkpoint_dir / str(offboarding.school_id), ignore_errors=True)
    counts = offboarding.rows_before or {}
    for _ in range(ROUNDS):
        await delete_rows(db, offboarding.school_id, counts)
        done = await _finish(db, settings, offboarding, removed, left, entry)
        if isinstance(done, DeletionProof):
            return done
        counts = done  # rows written while it ran: the next round deletes them
    raise RuntimeError(f"rows of school {offboarding.slug} keep arriving: {sorted(counts)}")


async def delete_school(ctx: ServiceContext, offboarding_id: uuid.UUID) -> DeletionProof | None:
    """Delete the school of a due offboarding (or a shutdown) and return the signed proof.

    As the schema owner, through the process's one owner pool (`Database.as_owner`).
    """
    return await _delete(ctx.db.as_owner(), offboarding_id)


async def replay_school(db: Database, entry: dict[str, Any]) -> SchoolReplayed | None:
    """A whole-school entry of a deletion log, replayed into a restored backup (`db`, as the
    owner): the school's offboarding there (or a new one, reason `replay`) is deleted now by
    the same path, with its own signed proof; None when the school is not in this database.
    """
    school_id = uuid.UUID(str(entry["school_id"]))
    async with db.session() as session:
        await set_tenant(session, school_id)
        tenant = await session.get(Tenant, school_id)
        if tenant is None:
            return None
        offboarding = await repository.open_offboarding(session, school_id)
        if offboarding is None:
            offboarding = Offboarding(
                school_id=school_id, slug=tenant.slug, reason="replay", delete_after=clock.now()
            )
            session.add(offboarding)
            await session.flush()
        offboarding_id = offboarding.id
    proof = await _delete(db, offboarding_id, entry)
    assert proof is not None  # the offboarding was open, the school still there
    return SchoolReplayed(
        slug=proof.slug,
        rows=sum(proof.rows_before.values()),
        objects=proof.objects_removed,
        proof_id=proof.id,
    )
