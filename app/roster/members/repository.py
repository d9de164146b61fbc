"""Queries on a school's roster of people: memberships with their accounts, guardianships."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, String, Uuid, column, select, table
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import Account
from app.core.repository import in_school
from app.roster.models import Guardianship
from app.roster.repository import keyset
from app.tenancy.models import Membership


async def list_members(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    visible: ColumnElement[bool],
    *,
    role: str | None,
    after: uuid.UUID | None,
    fetch: int,
) -> Sequence[tuple[Membership, Account]]:
    """One page of a school's roster, filtered by the caller's scopes in SQL."""
    query = (
        select(Membership, Account)
        .join(Account, col(Account.id) == col(Membership.account_id))
        .where(col(Membership.tenant_id) == tenant_id, visible)
    )
    if role is not None:
        query = query.where(col(Membership.role) == role)
    keyed = keyset(query, [col(Membership.id)], [after] if after else None, fetch)
    return [(m, a) for m, a in (await session.execute(keyed)).all()]


async def membership_of(
    session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID, role: str
) -> Membership | None:
    result = await session.execute(
        in_school(
            Membership,
            tenant_id,
            col(Membership.account_id) == account_id,
            col(Membership.role) == role,
        )
    )
    found: Membership | None = result.scalar_one_or_none()
    return found


async def member_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, member_id: uuid.UUID, role: str
) -> Membership | None:
    result = await session.execute(
        in_school(
            Membership, tenant_id, col(Membership.id) == member_id, col(Membership.role) == role
        )
    )
    found: Membership | None = result.scalar_one_or_none()
    return found


async def memberships_of_accounts(
    session: AsyncSession, tenant_id: uuid.UUID, account_ids: list[uuid.UUID]
) -> Sequence[Membership]:
    """Every membership (any role, any status) these accounts hold in the school."""
    if not account_ids:
        return []
    query = in_school(Membership, tenant_id, col(Membership.account_id).in_(account_ids))
    found: Sequence[Membership] = (await session.execute(query)).scalars().all()
    return found


async def guardianship(
    session: AsyncSession, tenant_id: uuid.UUID, guardian_id: uuid.UUID, student_id: uuid.UUID
) -> Guardianship | None:
    result = await session.execute(
        in_school(
            Guardianship,
            tenant_id,
            col(Guardianship.guardian_id) == guardian_id,
            col(Guardianship.student_id) == student_id,
        )
    )
    found: Guardianship | None = result.scalar_one_or_none()
    return found


async def children_of(
    session: AsyncSession, tenant_id: uuid.UUID, guardian_id: uuid.UUID
) -> Sequence[Account]:
    """The accounts a guardian is the guardian of in one school, by name."""
    query = (
        select(Account)
        .join(
            Guardianship,
            (col(Guardianship.student_id) == col(Account.id))
            & (col(Guardianship.tenant_id) == tenant_id),
        )
        .where(col(Guardianship.guardian_id) == guardian_id)
        .order_by(col(Account.display_name), col(Account.id))
    )
    found: Sequence[Account] = (await session.execute(query)).scalars().all()
    return found


# The notice table belongs to privacy, a layer above the roster: named here, not imported.
_NOTICE = table("notice", column("tenant_id", Uuid()), column("version", String()))


async def has_notice_version(session: AsyncSession, tenant_id: uuid.UUID, version: str) -> bool:
    """Whether the school has published this version of its notice."""
    query = select(_NOTICE.c.version).where(
        _NOTICE.c.tenant_id == tenant_id, _NOTICE.c.version == version
    )
    return (await session.execute(query.limit(1))).first() is not None


# Every suffix of every roster name, kept by a PostgreSQL trigger (migration 0010p); not a
# model: nothing in the app writes it, and SQLite has no such table.
member_name_suffix = table(
    "member_name_suffix",
    column("tenant_id", Uuid()),
    column("membership_id", Uuid()),
    column("suffix", String()),
)
LAST_CHARACTER = "\U0010ffff"


MOST_NAME_MATCHES = 1000


async def name_part_predicate(
    session: AsyncSession, tenant_id: uuid.UUID, part: str
) -> ColumnElement[bool]:
    """Memberships whose name contains `part`. On PostgreSQL a name contains `part` when one
    of its suffixes starts with it: a range of the suffix table's key gives the ids, and
    the page is read by id. A part in more than MOST_NAME_MATCHES names (a common
    character) is left to the scan in id order, which fills a page at once; SQLite scans."""
    contains = col(Membership.display_name).contains(part, autoescape=True)
    if session.bind is None or session.bind.dialect.name != "postgresql":
        return contains
    suffix = member_name_suffix.c
    starting = (
        select(suffix.membership_id)
        .where(
            suffix.tenant_id == tenant_id,
            suffix.suffix >= part,
            suffix.suffix < part + LAST_CHARACTER,
        )
        .distinct()
        .limit(MOST_NAME_MATCHES + 1)
    )
    ids = list((await session.execute(starting)).scalars())
    if len(ids) > MOST_NAME_MATCHES:
        return contains
    return col(Membership.id).in_(ids)
