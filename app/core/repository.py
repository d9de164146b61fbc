"""The two queries every domain repeats: one record of a school by id, and one page by key.

Both take the school (`tenant_id`) as a required argument, so a query without it cannot be
written through them; the caller's visibility predicate is passed in, never defaulted.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

M = TypeVar("M", bound=SQLModel)


def in_school(model: type[M], tenant_id: uuid.UUID, *where: ColumnElement[bool]) -> Select[Any]:
    """`SELECT model WHERE tenant_id = :school AND <where...>`."""
    table: Any = model.__table__  # type: ignore[attr-defined]
    return select(model).where(table.c.tenant_id == tenant_id, *where)


async def get_in_school(
    session: AsyncSession,
    model: type[M],
    tenant_id: uuid.UUID,
    record_id: uuid.UUID,
    *where: ColumnElement[bool],
) -> M | None:
    """The record `record_id` of this school, or None (missing and foreign look the same)."""
    table: Any = model.__table__  # type: ignore[attr-defined]
    result = await session.execute(in_school(model, tenant_id, table.c.id == record_id, *where))
    found: M | None = result.scalar_one_or_none()
    return found


def page_by_key(
    query: Select[Any],
    keys: Sequence[ColumnElement[Any]],
    after: Sequence[Any] | None,
    fetch: int,
    *,
    descending: bool = False,
) -> Select[Any]:
    """Order `query` by `keys`, start after the cursor's values, and fetch `fetch` rows.

    Row-value comparison `(k1, k2) > (v1, v2)` works on PostgreSQL and SQLite alike.
    """
    if after is not None:
        left = keys[0] if len(keys) == 1 else tuple_(*keys)
        right = after[0] if len(keys) == 1 else tuple_(*after)
        query = query.where(left < right if descending else left > right)
    order = [k.desc() for k in keys] if descending else list(keys)
    return query.order_by(*order).limit(fetch)
