"""The import's store: what the school has (set-based reads), then bulk statements."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, Uuid, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import Account
from app.accounts.service import NO_PHONE_PREFIX, plain_phone
from app.core.db import metadata, set_phone_lookups, value_chunks, where_in
from app.core.security import Keys
from app.roster.imports.rosterfile import OrgRow
from app.roster.models import Course, Enrollment, Guardianship, RosterSource
from app.tenancy.models import Membership

CHUNK = 5000


@dataclass
class Writes:
    """Everything the import would write, ready for bulk statements."""

    accounts: list[dict[str, Any]] = field(default_factory=list)
    memberships: list[dict[str, Any]] = field(default_factory=list)
    membership_updates: list[dict[str, Any]] = field(default_factory=list)
    attestations: list[dict[str, Any]] = field(default_factory=list)
    courses: list[dict[str, Any]] = field(default_factory=list)
    course_updates: list[dict[str, Any]] = field(default_factory=list)
    enrollments: list[dict[str, Any]] = field(default_factory=list)
    enrollment_updates: list[dict[str, Any]] = field(default_factory=list)
    guardianships: list[dict[str, Any]] = field(default_factory=list)
    # Learners registered without a phone whose own number the file now gives.
    account_phones: list[dict[str, Any]] = field(default_factory=list)
    subjects: set[uuid.UUID] = field(default_factory=set)


@dataclass(slots=True)
class CourseState:
    id: uuid.UUID
    code: str
    name: str
    subject: str | None
    term: str | None
    starts_on: date
    ends_on: date
    status: str
    source_id: str | None
    oneroster: dict[str, Any] | None = None


@dataclass(slots=True)
class MembershipState:
    id: uuid.UUID
    account_id: uuid.UUID
    role: str
    status: str
    status_reason: str | None
    source_id: str | None
    age_band: str | None
    display_name: str | None
    oneroster: dict[str, Any] | None = None


@dataclass(slots=True)
class EnrollmentState:
    id: uuid.UUID
    course_id: uuid.UUID
    account_id: uuid.UUID
    role: str
    status: str
    source_id: str | None
    oneroster: dict[str, Any] | None = None


async def roster_source(session: AsyncSession, tenant_id: uuid.UUID) -> RosterSource | None:
    result = await session.execute(
        select(RosterSource).where(col(RosterSource.tenant_id) == tenant_id).limit(1)
    )
    return result.scalar_one_or_none()


async def courses(session: AsyncSession, tenant_id: uuid.UUID) -> list[CourseState]:
    rows = await session.execute(
        select(
            col(Course.id),
            col(Course.code),
            col(Course.name),
            col(Course.subject),
            col(Course.term),
            col(Course.starts_on),
            col(Course.ends_on),
            col(Course.status),
            col(Course.source_id),
            col(Course.oneroster),
        ).where(col(Course.tenant_id) == tenant_id)
    )
    return [CourseState(*row) for row in rows.all()]


async def memberships(session: AsyncSession, tenant_id: uuid.UUID) -> list[MembershipState]:
    rows = await session.execute(
        select(
            col(Membership.id),
            col(Membership.account_id),
            col(Membership.role),
            col(Membership.status),
            col(Membership.status_reason),
            col(Membership.source_id),
            col(Membership.age_band),
            col(Membership.display_name),
            col(Membership.oneroster),
        ).where(col(Membership.tenant_id) == tenant_id)
    )
    return [MembershipState(*row) for row in rows.all()]


async def enrollments(session: AsyncSession, tenant_id: uuid.UUID) -> list[EnrollmentState]:
    rows = await session.execute(
        select(
            col(Enrollment.id),
            col(Enrollment.course_id),
            col(Enrollment.account_id),
            col(Enrollment.role),
            col(Enrollment.status),
            col(Enrollment.source_id),
            col(Enrollment.oneroster),
        ).where(col(Enrollment.tenant_id) == tenant_id)
    )
    return [EnrollmentState(*row) for row in rows.all()]


async def accounts_without_phone(session: AsyncSession, tenant_id: uuid.UUID) -> set[uuid.UUID]:
    """The school's people registered under a guardian's number, without a phone of their own."""
    rows = await session.execute(
        select(col(Account.id))
        .join(Membership, col(Membership.account_id) == col(Account.id))
        .where(
            col(Membership.tenant_id) == tenant_id,
            col(Account.phone_hash).startswith(NO_PHONE_PREFIX),
        )
    )
    return set(rows.scalars().all())


async def guardianships(
    session: AsyncSession, tenant_id: uuid.UUID
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    rows = await session.execute(
        select(col(Guardianship.guardian_id), col(Guardianship.student_id)).where(
            col(Guardianship.tenant_id) == tenant_id
        )
    )
    return {(g, s) for g, s in rows.all()}


def _table(name: str) -> Table:
    return metadata.tables[name]


async def bulk_insert(session: AsyncSession, table: str, rows: list[dict[str, Any]]) -> None:
    statement = insert(_table(table))
    for start in range(0, len(rows), CHUNK):
        await session.execute(statement, rows[start : start + CHUNK])


async def insert_accounts(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """New accounts, each chunk's lookup keys named first: row-level security on `account`
    lets a transaction write only the accounts of the numbers it named (PostgreSQL)."""
    statement = insert(_table("account"))
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        await set_phone_lookups(session, [row["phone_hash"] for row in chunk])
        await session.execute(statement, chunk)


async def bulk_update(session: AsyncSession, table: str, rows: list[dict[str, Any]]) -> None:
    """UPDATE ... WHERE tenant_id, id per row; rows with the same columns go together."""
    target = _table(table)
    groups: defaultdict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        columns = tuple(sorted(k for k in row if k not in ("tenant_id", "id")))
        groups[columns].append({f"v_{k}": v for k, v in row.items()})
    for columns, params in groups.items():
        statement = (
            update(target)
            .where(target.c.tenant_id == bindparam("v_tenant_id"), target.c.id == bindparam("v_id"))
            .values({name: bindparam(f"v_{name}") for name in columns})
        )
        for start in range(0, len(params), CHUNK):
            await session.execute(statement, params[start : start + CHUNK])


async def apply(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    writes: Writes,
    school: OrgRow | None,
    now: datetime,
) -> None:
    await insert_accounts(session, writes.accounts)
    await bulk_insert(session, "course", writes.courses)
    await bulk_insert(session, "membership", writes.memberships)
    await bulk_insert(session, "consentattestation", writes.attestations)
    await bulk_insert(session, "enrollment", writes.enrollments)
    await bulk_insert(session, "guardianship", writes.guardianships)
    await bulk_update(session, "course", writes.course_updates)
    await bulk_update(session, "membership", writes.membership_updates)
    await bulk_update(session, "enrollment", writes.enrollment_updates)
    if writes.account_phones:
        account = _table("account")
        statement = (
            update(account)
            .where(account.c.id == bindparam("v_id"))
            .values({c: bindparam(f"v_{c}") for c in ("phone_hash", "phone_enc", "phone_masked")})
        )
        params = [{f"v_{k}": v for k, v in row.items()} for row in writes.account_phones]
        await session.execute(statement, params)
    if school is None:
        return
    source = await roster_source(session, tenant_id)
    if source is None:
        session.add(
            RosterSource(
                tenant_id=tenant_id,
                org_source_id=school.source_id,
                org_name=school.name,
                oneroster=org_kept(school),
                last_import_at=now,
            )
        )
    else:
        source.org_source_id, source.org_name = school.source_id, school.name
        source.oneroster = org_kept(school)
        source.last_import_at = now
    await session.flush()


def org_kept(school: OrgRow) -> dict[str, Any] | None:
    """What orgs.csv said of the school beyond its sourcedId and name."""
    kept = {"identifier": school.identifier} if school.identifier else {}
    return {**kept, **school.metadata} or None


def org_row(source: RosterSource, name: str) -> OrgRow:
    """The school's org as the last import named it."""
    kept = dict(source.oneroster or {})
    identifier = kept.pop("identifier", "")
    return OrgRow(source.org_source_id, source.org_name or name, identifier, metadata=kept)


async def phones_and_names(
    session: AsyncSession, keys: Keys, account_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, str | None]]:
    """Each account's phone number (decrypted) and display name."""
    found: dict[uuid.UUID, tuple[str, str | None]] = {}
    for chunk in value_chunks(session, account_ids):
        query = select(col(Account.id), col(Account.phone_enc), col(Account.display_name))
        query = where_in(session, query, col(Account.id), chunk, Uuid())
        for account_id, sealed, name in (await session.execute(query)).all():
            found[account_id] = (plain_phone(keys, sealed), name)
    return found
