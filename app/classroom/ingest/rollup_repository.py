"""Reads and writes of the rollup step: stored rollups, interval events, spans (bulk)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from app.classroom.ingest.repository import dialect_insert, event_columns
from app.classroom.models import AttendanceSpan


def touched_predicate(
    whole_lessons: Sequence[uuid.UUID], pairs: dict[uuid.UUID, set[uuid.UUID]], table: Any
) -> ColumnElement[bool]:
    """Rows of whole lessons, and of exactly the given (lesson, person) pairs."""
    parts: list[ColumnElement[bool]] = []
    if whole_lessons:
        parts.append(table.lesson_id.in_(list(whole_lessons)))
    for lesson, people in pairs.items():
        if lesson not in whole_lessons and people:
            parts.append(and_(table.lesson_id == lesson, table.account_id.in_(sorted(people))))
    return or_(*parts) if parts else false()


async def rollups_of(
    session: AsyncSession, tenant_id: uuid.UUID, touched: ColumnElement[bool]
) -> list[dict[str, Any]]:
    """The stored rollups of the touched pairs, as plain rows to update."""
    table = SQLModel.metadata.tables["lesson_rollup"]
    result = await session.execute(select(table).where(table.c.tenant_id == tenant_id, touched))
    rows = [dict(row) for row in result.mappings()]
    for row in rows:
        row["counts"] = dict(row["counts"] or {})
    return rows


async def interval_events(
    session: AsyncSession, tenant_id: uuid.UUID, touched: ColumnElement[bool], kinds: Sequence[str]
) -> Sequence[Any]:
    """The events that open or close an interval (join/leave, camera, stage), in time order."""
    e = event_columns()
    result = await session.execute(
        select(e.lesson_id, e.account_id, e.kind, e.at, e.data["reason"].as_string())
        .where(e.tenant_id == tenant_id, touched, e.kind.in_(list(kinds)))
        .order_by(e.lesson_id, e.account_id, e.at, e.id)
    )
    return result.all()


async def delete_spans(
    session: AsyncSession, tenant_id: uuid.UUID, which: ColumnElement[bool]
) -> None:
    await session.execute(
        delete(AttendanceSpan).where(col(AttendanceSpan.tenant_id) == tenant_id, which)
    )


async def insert_spans(session: AsyncSession, spans: list[dict[str, Any]]) -> None:
    if spans:
        await session.execute(
            dialect_insert(session, SQLModel.metadata.tables["attendance_span"]), spans
        )


async def upsert_rollups(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    statement = dialect_insert(session, SQLModel.metadata.tables["lesson_rollup"])
    keys = {"tenant_id", "lesson_id", "account_id"}
    statement = statement.on_conflict_do_update(
        index_elements=sorted(keys),
        set_={name: statement.excluded[name] for name in rows[0] if name not in keys},
    )
    await session.execute(statement, rows)
