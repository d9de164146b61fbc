"""The whole school's roster as a OneRoster 1.2 bulk zip (the format the import reads)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import cast

from sqlalchemy import Uuid, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import Account
from app.core import clock
from app.core.db import value_chunks, where_in
from app.core.security import Keys
from app.roster import import_store as store
from app.roster.rosterfile import (
    AgeBand,
    CourseRow,
    EnrollmentRole,
    EnrollmentRow,
    OrgRow,
    PersonRole,
    PersonRow,
    SessionRow,
    write_oneroster,
)
from app.tenancy.models import Tenant

# A person with several roles is exported once, in the role that says most about them.
ROLE_ORDER = ("teacher", "assistant", "student", "guardian")


async def export_roster(
    session: AsyncSession, keys: Keys, tenant: Tenant
) -> tuple[bytes, list[uuid.UUID]]:
    """The zip, and the accounts it names (for the audit entry)."""
    source = await store.roster_source(session, tenant.id)
    school = OrgRow(source.org_source_id if source else tenant.slug, tenant.name)
    courses = [c for c in await store.courses(session, tenant.id) if c.status == "active"]
    terms: dict[tuple[str, object, object], SessionRow] = {}
    course_rows: list[CourseRow] = []
    for c in courses:
        key = (c.term or "", c.starts_on, c.ends_on)
        if key not in terms:
            terms[key] = SessionRow(
                f"{school.source_id}-term-{len(terms) + 1}", c.term or "", c.starts_on, c.ends_on
            )
        course_rows.append(
            CourseRow(
                c.source_id or str(c.id),
                c.code,
                c.name,
                c.subject,
                terms[key].source_id,
                c.term,
                c.starts_on,
                c.ends_on,
            )
        )
    live = [
        m
        for m in await store.memberships(session, tenant.id)
        if m.status in ("pending", "active") and m.role in ROLE_ORDER
    ]
    chosen: dict[uuid.UUID, store.MembershipState] = {}
    for m in sorted(live, key=lambda m: ROLE_ORDER.index(m.role)):
        chosen.setdefault(m.account_id, m)
    phones = await _phones(session, keys, list(chosen))
    person_id = {a: m.source_id or str(m.id) for a, m in chosen.items()}
    guardians: defaultdict[uuid.UUID, list[str]] = defaultdict(list)
    for guardian, student in sorted(await store.guardianships(session, tenant.id)):
        if guardian in chosen and student in chosen and chosen[guardian].role == "guardian":
            guardians[student].append(person_id[guardian])
    people = [
        PersonRow(
            person_id[a],
            phones[a][0],
            m.display_name or phones[a][1] or "",
            cast(PersonRole, m.role),
            age_band=cast(AgeBand, m.age_band) if m.role == "student" else None,
            guardian_source_ids=guardians.get(a, []) if m.role == "student" else [],
        )
        for a, m in chosen.items()
    ]
    course_source = {c.id: c.source_id or str(c.id) for c in courses}
    enrollment_rows = [
        EnrollmentRow(
            e.source_id or str(e.id),
            course_source[e.course_id],
            person_id[e.account_id],
            cast(EnrollmentRole, e.role),
        )
        for e in await store.enrollments(session, tenant.id)
        if e.status == "active" and e.course_id in course_source and e.account_id in person_id
    ]
    data = write_oneroster(
        school,
        list(terms.values()),
        course_rows,
        people,
        enrollment_rows,
        modified_at=clock.now(),
    )
    return data, list(chosen)


async def _phones(
    session: AsyncSession, keys: Keys, account_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, str | None]]:
    found: dict[uuid.UUID, tuple[str, str | None]] = {}
    for chunk in value_chunks(session, account_ids):
        query = select(col(Account.id), col(Account.phone_enc), col(Account.display_name))
        query = where_in(session, query, col(Account.id), chunk, Uuid())
        for account_id, sealed, name in (await session.execute(query)).all():
            found[account_id] = (keys.phone_cipher.decrypt(sealed), name)
    return found
