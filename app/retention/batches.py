"""One bounded batch of one rule: its own transaction, one school's rows, in key order.

A batch selects up to `limit` expired rows of one school (ordered by the rule's time column
and key, which the indexes serve), removes their objects, children and rows, writes the
deletion log entry (from which an interrupted run's counts are taken), and commits all of
that together. Killed
half-way, nothing of the batch stays; run again, the same rows are still expired and the
next sweep takes them. Other schools' rows are never read or locked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    Table,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.classroom.files.storage import ObjectStore
from app.core import clock
from app.core.db import Database, is_postgres
from app.core.ids import new_id
from app.retention.audit import rebase
from app.retention.models import DeletionLog
from app.retention.rules import Rule
from app.retention.tally import fold_into_tally

BATCH = 50_000  # rows a batch at most
BATCH_SECONDS = 1.0  # a batch slower than this halves the next one's rows
MIN_BATCH = 1000
# Rows a batch names by key (objects, children, tallies, SQLite): its keys are bound
# parameters, which PostgreSQL and SQLite cap at 32,767 a statement.
KEYED_BATCH = 5000
_END = datetime(9999, 12, 31, tzinfo=UTC)  # no bound: the rule's cutoff ends the batch
_LOG = DeletionLog.__table__  # type: ignore[attr-defined]
LOG_COLUMNS = ["id", "table_name", "category", "school_id", "keys", "row_count", "action"]
LOG_COLUMNS += ["run_id", "at"]
# The school (RLS), the sweep's own policy on login state (0010r), no commit flush wait.
_BATCH_SETTINGS = text(
    "SELECT set_config('app.tenant_id', :tenant, true), "
    "set_config('app.retention_sweep', 'on', true), "
    "set_config('synchronous_commit', 'off', true)"
)


async def enter_sweep(session: AsyncSession, school: uuid.UUID | None) -> None:
    """Losing a batch's commit in a server crash is safe: its rows and its log entry go
    together, and the next sweep redoes it; so no WAL flush wait per batch."""
    if is_postgres(session):
        await session.execute(_BATCH_SETTINGS, {"tenant": str(school or "")})


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
        await enter_sweep(session, target.school)
        found = await session.execute(select(func.count()).select_from(rule.table).where(*where))
        return int(found.scalar_one())


def _key_filter(table: Table, columns: list[str], keys: list[tuple[Any, ...]]) -> Any:
    if len(columns) == 1:
        return table.c[columns[0]].in_([k[0] for k in keys])
    return tuple_(*(table.c[c] for c in columns)).in_(keys)


async def _log_keys(
    session: AsyncSession,
    target: Target,
    table: Table,
    keys: dict[str, list[str]],
    action: str,
    category: str,
) -> None:
    """One log entry for the batch's rows of one table: each key column's values (ids only)."""
    if target.run_id is None or not keys:
        return
    entry = {
        "id": new_id(),
        "table_name": table.name,
        "category": category,
        "school_id": target.school,
        "keys": keys,
        "row_count": len(next(iter(keys.values()))),
        "action": action,
        "run_id": target.run_id,
        "at": clock.now(),
    }
    await session.execute(insert(_LOG).values(entry))


async def _log(
    session: AsyncSession,
    target: Target,
    table: Table,
    columns: list[str],
    keys: list[tuple[Any, ...]],
    action: str,
    category: str,
) -> None:
    """One log entry for the batch's rows of one table (ids only)."""
    if keys:
        named = {c: [str(k[i]) for k in keys] for i, c in enumerate(columns)}
        await _log_keys(session, target, table, named, action, category)


async def remove(
    session: AsyncSession, target: Target, rule: Rule, keys: list[tuple[Any, ...]]
) -> None:
    """Children, then the rows (folded into the tally first when anonymised), then the log."""
    category = rule.category.value
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
            await _log(session, target, child_table, child_columns, child_keys, "delete", category)
    if rule.anonymise and target.school is not None:
        await fold_into_tally(session, target.school, keys)
    if rule.chained and target.school is not None:
        await rebase(session, target.db, target.school, [k[0] for k in keys])
    await session.execute(delete(table).where(*scope, _key_filter(table, columns, keys)))
    action = "anonymise" if rule.anonymise else "delete"
    await _log(session, target, table, columns, keys, action, category)


def _plain(session: AsyncSession, target: Target, rule: Rule) -> bool:
    """PostgreSQL, a plain rule (no objects, children or tally): the batch deletes a key
    range and logs what the DELETE returned in the same statement."""
    plain = not (rule.objects or rule.children or rule.anonymise)
    return plain and target.run_id is not None and is_postgres(session)


def _bounds(rule: Rule, key: tuple[Any, ...]) -> ColumnElement[Any]:
    values = [literal(value, column.type) for value, column in zip(key, rule.order, strict=False)]
    return tuple_(*values)


async def _plain_batch(
    session: AsyncSession,
    target: Target,
    rule: Rule,
    where: list[ColumnElement[bool]],
    limit: int,
) -> tuple[int, Resume | None]:
    """One statement: the batch ends at the time of the `limit`-th expired row (an index
    probe), every expired row up to that time is deleted by a plain DELETE (a bitmap scan,
    as a bare DELETE does), and the keys it returns make the batch's deletion-log entry.
    Rows sharing the bound's time go together, so a batch never splits an instant."""
    table, columns = rule.table, rule.key_columns
    since = rule.table.c[rule.since]
    bound = select(since).where(*where).order_by(since).offset(limit - 1).limit(1).cte("bound")
    upto = func.coalesce(select(bound.c[rule.since]).scalar_subquery(), literal(_END, since.type))
    gone = delete(table).where(*where, since <= upto).returning(*columns).cte("gone")
    # The keys come back as text arrays (decoded by the driver, no per-row JSON in SQL) and
    # go into the log entry in the same transaction.
    found = (
        await session.execute(
            select(
                *(
                    select(func.array_agg(cast(gone.c[c.name], String))).scalar_subquery()
                    for c in columns
                ),
                select(bound.c[rule.since]).scalar_subquery(),
            )
        )
    ).one()
    keys: dict[str, list[str]] = {c.name: list(found[i] or []) for i, c in enumerate(columns)}
    removed = len(keys[columns[0].name])
    if removed:
        await _log_keys(session, target, table, keys, "delete", rule.category.value)
    end = found[-1]
    return removed, None if end is None else Resume((end,), inclusive=False)


@dataclass(frozen=True)
class Resume:
    """Where the next batch of a rule starts, in the batches' order (time column, key): after
    `key`, a prefix of that order (a plain batch ends at an instant, others at a row)."""

    key: tuple[Any, ...]
    inclusive: bool  # the key itself is still to do


def after(rule: Rule, resume: Resume | None) -> list[ColumnElement[bool]]:
    """Rows from where the previous batch stopped, in the batches' order: each batch starts
    there instead of stepping over the index entries of the rows it deleted (dead until
    vacuumed), which would make a long sweep quadratic."""
    if resume is None:
        return []
    row = tuple_(*rule.order[: len(resume.key)])
    bound = _bounds(rule, resume.key)
    return [row >= bound if resume.inclusive else row > bound]


async def run_batch(
    target: Target,
    rule: Rule,
    where: list[ColumnElement[bool]],
    limit: int = BATCH,
    resume: Resume | None = None,
) -> tuple[int, Resume | None]:
    """Remove up to `limit` rows matching `where` from `resume` on; (how many went, where
    the next batch starts). None: the rule is done."""
    columns = rule.key_columns
    extra = [rule.table.c.object_key] if rule.objects else []
    where = [*where, *after(rule, resume)]
    async with target.db.session() as session:
        await enter_sweep(session, target.school)
        if _plain(session, target, rule):
            return await _plain_batch(session, target, rule, where, limit)
        limit = min(limit, KEYED_BATCH)
        found = (
            await session.execute(
                select(*columns, *extra, *(c.label(f"order_{i}") for i, c in enumerate(rule.order)))
                .where(*where)
                .order_by(*rule.order)
                .limit(limit)
            )
        ).all()
        if not found:
            return 0, None
        keys = [tuple(row[: len(columns)]) for row in found]
        if rule.objects and target.store is not None:
            # Before the rows: a failed batch leaves rows whose object is gone, which the next
            # sweep removes; never an object no row names.
            for row in found:
                await target.store.delete(str(row[len(columns)]))
        await remove(session, target, rule, keys)
    if len(keys) < limit:  # the last batch: the cutoff is fixed for the run
        return len(keys), None
    return len(keys), Resume(tuple(found[-1][-len(rule.order) :]), inclusive=False)
