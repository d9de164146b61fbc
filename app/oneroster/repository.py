"""Queries of OneRoster clients and of the roster as collections: each names the school."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, Select, Subquery, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import Account
from app.core.repository import in_school, page_by_key
from app.oneroster.collections import LIVE_MEMBERSHIP, PersonMembership, user_rows
from app.oneroster.models import OneRosterClient
from app.roster.models import Enrollment
from app.tenancy.models import Membership


async def client_by_client_id(
    session: AsyncSession, tenant_id: uuid.UUID, client_id: str
) -> OneRosterClient | None:
    query = select(OneRosterClient).where(
        col(OneRosterClient.tenant_id) == tenant_id, col(OneRosterClient.client_id) == client_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def live_client(
    session: AsyncSession, tenant_id: uuid.UUID, row_id: uuid.UUID
) -> OneRosterClient | None:
    client = await session.get(OneRosterClient, (tenant_id, row_id))
    if client is None or client.revoked_at is not None:
        return None
    return client


async def clients_page(
    session: AsyncSession, tenant_id: uuid.UUID, *, after: uuid.UUID | None, fetch: int
) -> Sequence[OneRosterClient]:
    """The school's clients in id order (revoked ones too), `fetch` rows after `after`."""
    start = None if after is None else [after]
    query = page_by_key(
        in_school(OneRosterClient, tenant_id), [col(OneRosterClient.id)], start, fetch
    )
    found: Sequence[OneRosterClient] = (await session.execute(query)).scalars().all()
    return found


async def client_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, row_id: uuid.UUID
) -> OneRosterClient | None:
    return await session.get(OneRosterClient, (tenant_id, row_id))


@dataclass(frozen=True)
class PageQuery:
    """A checked `limit`, `offset`, `sort`/`orderBy` and compiled `filter` of one request."""

    limit: int
    offset: int
    sort: str | None
    descending: bool
    where: tuple[ColumnElement[bool], ...]


async def collection_page(
    session: AsyncSession, tenant_id: uuid.UUID, sub: Subquery, page: PageQuery
) -> tuple[Sequence[RowMapping], int]:
    """One page of a collection's subquery of the school, and how many rows match in all.

    The total rides on the page's rows (a window count: one pass over the school, not two);
    only a page past the end asks for it separately.
    """
    matching = select(sub, func.count().over().label("_total")).where(*page.where)
    keys = [sub.c[page.sort]] if page.sort and page.sort != "sourcedId" else []
    keys.append(sub.c.sourcedId)
    ordered = [key.desc() if page.descending else key.asc() for key in keys]
    query = matching.order_by(*ordered).limit(page.limit).offset(page.offset)
    rows = (await session.execute(query)).mappings().all()
    if rows:
        return rows, int(rows[0]["_total"])
    counted = select(func.count()).select_from(select(sub).where(*page.where).subquery())
    return rows, int((await session.execute(counted)).scalar() or 0)


async def users_page(
    session: AsyncSession, tenant_id: uuid.UUID, page: PageQuery
) -> tuple[list[dict[str, Any]], int, dict[uuid.UUID, list[str]]]:
    """A page of the school's users in sourcedId order, unfiltered, with their roles: the
    page's people are picked from the memberships by id first (limit, offset), and only
    their memberships are read, in one statement with the total, instead of grouping every
    membership of the school for each page."""
    person = col(Membership.account_id)
    order = person.desc() if page.descending else person.asc()
    ids = (
        select(person)
        .where(col(Membership.tenant_id) == tenant_id)
        .group_by(person)
        .order_by(order)
        .limit(page.limit)
        .offset(page.offset)
    )
    everyone = select(func.count(func.distinct(person))).where(
        col(Membership.tenant_id) == tenant_id
    )
    query = (
        select(
            person,
            col(Membership.role),
            col(Membership.status),
            col(Membership.updated_at),
            func.coalesce(Membership.display_name, Account.display_name, ""),
            everyone.scalar_subquery(),
        )
        .join(Account, col(Account.id) == person)
        .where(col(Membership.tenant_id) == tenant_id, person.in_(ids))
        .order_by(order, col(Membership.role))
    )
    found = (await session.execute(query)).all()
    if not found:
        return [], int((await session.execute(everyone)).scalar() or 0), {}
    rows, roles = user_rows([PersonMembership(*row[:5]) for row in found])
    return rows, int(found[0][5]), roles


async def one_of_collection(
    session: AsyncSession, tenant_id: uuid.UUID, sub: Subquery, *where: ColumnElement[bool]
) -> RowMapping | None:
    return (await session.execute(select(sub).where(*where).limit(1))).mappings().first()


async def roles_of_people(
    session: AsyncSession, tenant_id: uuid.UUID, account_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """The live membership roles of each person of a page, in one query."""
    if not account_ids:
        return {}
    query = select(col(Membership.account_id), col(Membership.role)).where(
        col(Membership.tenant_id) == tenant_id,
        col(Membership.account_id).in_(account_ids),
        col(Membership.status).in_(LIVE_MEMBERSHIP),
    )
    roles: dict[uuid.UUID, list[str]] = {}
    for account_id, role in (await session.execute(query.order_by(col(Membership.role)))).all():
        roles.setdefault(account_id, []).append(role)
    return roles


def people_enrolled(
    tenant_id: uuid.UUID, course_id: uuid.UUID, roles: tuple[str, ...]
) -> Select[*tuple[Any, ...]]:
    return select(col(Enrollment.account_id)).where(
        col(Enrollment.tenant_id) == tenant_id,
        col(Enrollment.course_id) == course_id,
        col(Enrollment.role).in_(roles),
        col(Enrollment.status) == "active",
    )


def courses_of_person(tenant_id: uuid.UUID, account_id: uuid.UUID) -> Select[*tuple[Any, ...]]:
    return select(col(Enrollment.course_id)).where(
        col(Enrollment.tenant_id) == tenant_id,
        col(Enrollment.account_id) == account_id,
        col(Enrollment.status) == "active",
    )
