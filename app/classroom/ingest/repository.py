"""Queries of the ingestion path: bulk, one statement per batch, no ORM objects per event.

The batch's lessons and roster, withdrawn consents, the event insert, lesson lifecycle;
the rollups' own reads and writes are in `rollup_repository.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import (
    Column,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    cast,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from app.core.db import is_postgres
from app.privacy.models import ConsentWithdrawal
from app.roster.models import Enrollment, Lesson, LessonStatus


@dataclass(frozen=True, slots=True)
class LessonFacts:
    id: uuid.UUID
    course_id: uuid.UUID
    teacher_id: uuid.UUID | None
    starts_at: datetime
    duration_minutes: int
    actual_start: datetime | None
    actual_end: datetime | None

    @property
    def end(self) -> datetime:
        """When an open span or interval is closed: the real end, else the planned one."""
        if self.actual_end is not None:
            return self.actual_end
        return (self.actual_start or self.starts_at) + timedelta(minutes=self.duration_minutes)


def event_columns() -> Any:
    return SQLModel.metadata.tables["classroom_event"].c


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT."""
    return postgresql.insert(table) if is_postgres(session) else sqlite.insert(table)


async def lessons(
    session: AsyncSession, tenant_id: uuid.UUID, lesson_ids: Iterable[uuid.UUID], *, lock: bool
) -> dict[uuid.UUID, LessonFacts]:
    """The school's lessons among `lesson_ids` (others are unknown); `lock` serialises rollups."""
    ids = sorted(set(lesson_ids))
    if not ids:
        return {}
    query = (
        select(
            col(Lesson.id),
            col(Lesson.course_id),
            col(Lesson.teacher_id),
            col(Lesson.starts_at),
            col(Lesson.duration_minutes),
            col(Lesson.actual_start),
            col(Lesson.actual_end),
        )
        .where(col(Lesson.tenant_id) == tenant_id, col(Lesson.id).in_(ids))
        .order_by(col(Lesson.id))
    )
    if lock:
        # Row locks in id order: two batches of one lesson recompute its rollups in turn.
        query = query.with_for_update(key_share=True)  # FOR NO KEY UPDATE
    rows = (await session.execute(query)).all()
    return {row.id: LessonFacts(*row) for row in rows}


async def roster(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    course_ids: Iterable[uuid.UUID],
    account_ids: Iterable[uuid.UUID],
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """(course, account) pairs of live enrolments among the given courses and people."""
    courses, people = list(set(course_ids)), list(set(account_ids))
    if not courses or not people:
        return set()
    result = await session.execute(
        select(col(Enrollment.course_id), col(Enrollment.account_id)).where(
            col(Enrollment.tenant_id) == tenant_id,
            col(Enrollment.course_id).in_(courses),
            col(Enrollment.account_id).in_(people),
            col(Enrollment.status) == "active",
        )
    )
    return {(row[0], row[1]) for row in result.all()}


async def withdrawn_categories(
    session: AsyncSession, tenant_id: uuid.UUID, account_ids: Iterable[uuid.UUID]
) -> set[tuple[uuid.UUID, str]]:
    """(account, consent category) pairs withdrawn in this school and not restored."""
    people = list(set(account_ids))
    if not people:
        return set()
    result = await session.execute(
        select(col(ConsentWithdrawal.account_id), col(ConsentWithdrawal.category)).where(
            col(ConsentWithdrawal.tenant_id) == tenant_id,
            col(ConsentWithdrawal.account_id).in_(people),
            col(ConsentWithdrawal.restored_at).is_(None),
        )
    )
    return {(row[0], row[1]) for row in result.all()}


def _event_table() -> Any:
    return SQLModel.metadata.tables["classroom_event"]


# Plain driver types for the arrays: the values are already UUIDs, aware datetimes and
# strings, so no per-element conversion runs in Python (JSON arrives serialised).
_PG_ARRAY_TYPES: dict[str, Any] = {
    "tenant_id": postgresql.UUID(as_uuid=True),
    "id": postgresql.UUID(as_uuid=True),
    "lesson_id": postgresql.UUID(as_uuid=True),
    "account_id": postgresql.UUID(as_uuid=True),
    "at": postgresql.TIMESTAMP(timezone=True),
    "received_at": postgresql.TIMESTAMP(timezone=True),
}


def _unnest_insert() -> Any:
    """PostgreSQL: the whole batch as one array per column, one statement (no per-row binds)."""
    table = _event_table()
    names = [c.name for c in table.columns]
    arrays = [
        bindparam(name, type_=postgresql.ARRAY(_PG_ARRAY_TYPES.get(name, Text()))) for name in names
    ]
    source = func.unnest(*arrays).table_valued(*names).render_derived(with_types=False)
    values = [
        cast(source.c[name], postgresql.JSONB) if name == "data" else source.c[name]
        for name in names
    ]
    return (
        postgresql.insert(table)
        .from_select(names, select(*values))
        .on_conflict_do_nothing(index_elements=["tenant_id", "client_id"])
        .returning(table.c.client_id)
    )


async def insert_events(session: AsyncSession, rows: list[dict[str, Any]]) -> set[str]:
    """Insert, skipping client ids the school already has; the client ids actually stored."""
    if not rows:
        return set()
    if is_postgres(session):
        columns = {name: [row[name] for row in rows] for name in rows[0]}
        columns["data"] = [orjson.dumps(data).decode() for data in columns["data"]]
        result = await session.execute(_unnest_insert(), columns)
        return set(result.scalars().all())
    return await _insert_events_sqlite(session, rows)


@lru_cache(maxsize=1)
def _raw_event_table() -> Table:
    """The event table with untyped columns: values arrive already converted."""
    table = _event_table()
    return Table(table.name, MetaData(), *(Column(c.name, String()) for c in table.columns))


def _sqlite_value(value: Any) -> Any:
    """A value in the form SQLAlchemy stores on SQLite (hex UUID, naive UTC text, JSON)."""
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    return value


async def _insert_events_sqlite(session: AsyncSession, rows: list[dict[str, Any]]) -> set[str]:
    """SQLite: one executemany of pre-converted values; the stored rows are those whose new
    id is there afterwards (the transaction holds the write lock, nothing else can interleave)."""
    raw = _raw_event_table()
    await session.execute(
        sqlite.insert(raw).on_conflict_do_nothing(index_elements=["tenant_id", "client_id"]),
        [{name: _sqlite_value(value) for name, value in row.items()} for row in rows],
    )
    ids = [row["id"].hex for row in rows]
    result = await session.execute(
        select(raw.c.client_id).where(
            raw.c.tenant_id == rows[0]["tenant_id"].hex, raw.c.id.in_(ids)
        )
    )
    return set(result.scalars().all())


async def mark_lifecycle(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    lesson_id: uuid.UUID,
    started: datetime | None,
    ended: datetime | None,
) -> None:
    """Lifecycle events set the lesson's actual times (earliest start, latest end)."""
    lesson = (col(Lesson.tenant_id) == tenant_id, col(Lesson.id) == lesson_id)
    if started is not None:
        await session.execute(
            update(Lesson)
            .where(
                *lesson,
                or_(col(Lesson.actual_start).is_(None), col(Lesson.actual_start) > started),
            )
            .values(actual_start=started)
        )
        await session.execute(
            update(Lesson)
            .where(*lesson, col(Lesson.status) == LessonStatus.scheduled)
            .values(status=LessonStatus.live)
        )
    if ended is not None:
        await session.execute(
            update(Lesson)
            .where(*lesson, or_(col(Lesson.actual_end).is_(None), col(Lesson.actual_end) < ended))
            .values(actual_end=ended)
        )
        await session.execute(
            update(Lesson)
            .where(*lesson, col(Lesson.status).in_([LessonStatus.scheduled, LessonStatus.live]))
            .values(status=LessonStatus.ended)
        )
