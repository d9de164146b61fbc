"""One bounded batch of one rule: its own transaction, one school's rows, in key order.

A batch selects up to `limit` expired rows of one school (ordered by the rule's time column
and key, which the indexes serve), removes their objects, children and rows, writes the
deletion log and adds its counts to the run, and commits all of that together. Killed
half-way, nothing of the batch stays; run again, the same rows are still expired and the
next sweep takes them. Other schools' rows are never read or locked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, func, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.classroom.files.storage import ObjectStore
from app.core import clock
from app.core.db import Database, set_tenant
from app.core.ids import new_id
from app.retention import repository
from app.retention.models import DeletionLog
from app.retention.rules import Rule
from app.retention.tally import fold_into_tally

BATCH = 5000
_LOG = DeletionLog.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Target:
    """Where a batch works: one school (or the platform's tables when school is None)."""

    db: Database
    store: ObjectStore | None
    school: uuid.UUID | None
    run_id: uuid.UUID | None  # None: a dry run, or a replay (counts go nowhere)


def _scope(rule: Rule, school: uuid.UUID | None) -> list[ColumnElement[bool]]:
    return [rule.table.c.tenant_id == school] if school is not None else []


def selection(
    rule: Rule, school: uuid.UUID | None, cutoff: datetime, people: frozenset[uuid.UUID]
) -> list[ColumnElement[bool]]:
    """Expired rows of the school, less those about held people."""
    where = [*_scope(rule, school), rule.expired(cutoff)]
    if people and rule.about is not None:
        where.append(~rule.about(rule.table, people))
    return where


async def count(target: Target, rule: Rule, where: list[ColumnElement[bool]]) -> int:
    async with target.db.session() as session:
        await set_tenant(session, target.school)
        found = await session.execute(select(func.count()).select_from(rule.table).where(*where))
        return int(found.scalar_one())


def _key_filter(table: Table, columns: list[str], keys: list[tuple[Any, ...]]) -> Any:
    if len(columns) == 1:
        return table.c[columns[0]].in_([k[0] for k in keys])
    return tuple_(*(table.c[c] for c in columns)).in_(keys)


async def _log(
    session: AsyncSession,
    target: Target,
    table: Table,
    columns: list[str],
    keys: list[tuple[Any, ...]],
    action: str,
) -> None:
    if target.run_id is None or not keys:
        return
    at = clock.now()
    rows = [
        {
            "id": new_id(),
            "table_name": table.name,
            "school_id": target.school,
            "key": {c: str(v) for c, v in zip(columns, key, strict=True)},
            "action": action,
            "run_id": target.run_id,
            "at": at,
        }
        for key in keys
    ]
    await session.execute(insert(_LOG), rows)


async def remove(
    session: AsyncSession, target: Target, rule: Rule, keys: list[tuple[Any, ...]]
) -> None:
    """Children, then the rows (folded into the tally first when anonymised), then the log."""
    table, columns = rule.table, [c.name for c in rule.key_columns]
    scope = _scope(rule, target.school)
    for child in rule.children:
        child_table = rule.table.metadata.tables[child.table]
        child_columns = [c.name for c in child_table.primary_key.columns if c.name != "tenant_id"]
        child_scope = [child_table.c.tenant_id == target.school] if target.school else []
        parents = [k[0] for k in keys]
        child_keys = [
            tuple(r)
            for r in await session.execute(
                select(*(child_table.c[c] for c in child_columns)).where(
                    *child_scope, child_table.c[child.column].in_(parents)
                )
            )
        ]
        if child_keys:
            await session.execute(
                delete(child_table).where(
                    *child_scope, _key_filter(child_table, child_columns, child_keys)
                )
            )
            await _log(session, target, child_table, child_columns, child_keys, "delete")
    if rule.anonymise and target.school is not None:
        await fold_into_tally(session, target.school, keys)
    await session.execute(delete(table).where(*scope, _key_filter(table, columns, keys)))
    await _log(session, target, table, columns, keys, "anonymise" if rule.anonymise else "delete")


async def run_batch(
    target: Target, rule: Rule, where: list[ColumnElement[bool]], limit: int = BATCH
) -> int:
    """Remove up to `limit` rows matching `where`; how many went (0: the rule is done)."""
    columns = rule.key_columns
    extra = [rule.table.c.object_key] if rule.objects else []
    async with target.db.session() as session:
        await set_tenant(session, target.school)
        found = (
            await session.execute(
                select(*columns, *extra).where(*where).order_by(*rule.order).limit(limit)
            )
        ).all()
        if not found:
            return 0
        keys = [tuple(row[: len(columns)]) for row in found]
        if rule.objects and target.store is not None:
            # Before the rows: a failed batch leaves rows whose object is gone, which the next
            # sweep removes; never an object no row names.
            for row in found:
                await target.store.delete(str(row[-1]))
        await remove(session, target, rule, keys)
        if target.run_id is not None and target.school is not None:
            await _add_counts(session, target, rule, len(keys))
    return len(keys)


async def _add_counts(session: AsyncSession, target: Target, rule: Rule, n: int) -> None:
    assert target.school is not None and target.run_id is not None
    counts = await repository.run_counts(session, target.school, target.run_id)
    category = dict(counts.get(rule.category.value, {}))
    table = dict(category.get(rule.table_name, {}))
    field = "anonymised" if rule.anonymise else "deleted"
    table[field] = int(table.get(field, 0)) + n
    category[rule.table_name] = table
    counts[rule.category.value] = category
    await repository.set_run_counts(session, target.school, target.run_id, counts)
