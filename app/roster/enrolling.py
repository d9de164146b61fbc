"""Adding people to a course by phone number in bulk (SCH-1) and taking them off (SCH-3).

All or nothing: every entry is checked first, and any bad entry answers 422 listing each
one before anything is written. A number that is not yet a member in the entry's role is
proxy-registered with the batch's consent attestation.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.repository import accounts_by_phone_hashes
from app.accounts.service import phone_hash
from app.core import clock
from app.core.errors import InvalidMany
from app.core.phones import InvalidPhone, mask, normalize
from app.core.security import Keys
from app.roster import repository
from app.roster.models import Course, Enrollment
from app.roster.registration import (
    Problem,
    consent_problems,
    register,
    registration_problems,
)
from app.roster.schemas import EnrollmentBatch, EnrollmentOutcome, Outcome
from app.tenancy.models import Membership, MembershipStatus, Tenant
from app.tenancy.repository import LIVE_STATUSES


@dataclass
class _Entry:
    index: int
    e164: str
    role: str
    guardian_e164: str | None
    membership: Membership | None = None


def _prefixed(prefix: str) -> Callable[[str], str]:
    return lambda name: f"{prefix}.{name}"


async def enroll(
    session: AsyncSession,
    keys: Keys,
    tenant: Tenant,
    actor_id: uuid.UUID | None,
    course: Course,
    batch: EnrollmentBatch,
    region: str,
) -> tuple[list[EnrollmentOutcome], list[uuid.UUID]]:
    """One outcome per entry, and the accounts touched (for the audit entry)."""
    problems: list[Problem] = []
    entries: list[_Entry] = []
    seen: dict[tuple[str, str], int] = {}
    for i, raw in enumerate(batch.entries):
        try:
            e164 = normalize(raw.phone, region)
        except InvalidPhone as exc:
            problems.append({"field": f"entries.{i}.phone", "message": str(exc), "index": i})
            continue
        guardian = None
        if raw.guardian_phone:
            try:
                guardian = normalize(raw.guardian_phone, region)
            except InvalidPhone as exc:
                field = f"entries.{i}.guardian_phone"
                problems.append({"field": field, "message": str(exc), "index": i})
                continue
        if (e164, raw.role) in seen:
            first = seen[(e164, raw.role)]
            message = f"this number is listed twice as {raw.role} (first as entry {first})"
            problems.append({"field": f"entries.{i}.phone", "message": message, "index": i})
            continue
        seen[(e164, raw.role)] = i
        entries.append(_Entry(i, e164, raw.role, guardian))

    accounts = await accounts_by_phone_hashes(
        session, sorted({phone_hash(keys, e.e164) for e in entries})
    )
    account_ids = [a.id for a in accounts.values()]
    memberships: dict[tuple[uuid.UUID, str], Membership] = {}
    if account_ids:
        result = await session.execute(
            select(Membership).where(
                col(Membership.tenant_id) == tenant.id, col(Membership.account_id).in_(account_ids)
            )
        )
        memberships = {(m.account_id, m.role): m for m in result.scalars()}
    now = clock.now()
    consent_checked = False
    for entry in entries:
        raw = batch.entries[entry.index]
        account = accounts.get(phone_hash(keys, entry.e164))
        membership = memberships.get((account.id, entry.role)) if account else None
        field = f"entries.{entry.index}"
        if membership is not None:
            if membership.status not in LIVE_STATUSES:
                state = (
                    "deactivated" if membership.status == MembershipStatus.inactive else "disputed"
                )
                message = f"this person's {entry.role} membership is {state}"
                problems.append(
                    {"field": f"{field}.phone", "message": message, "index": entry.index}
                )
            entry.membership = membership
            continue
        if batch.consent is None:
            message = (
                f"entry {entry.index} is not yet a {entry.role} of the school: consent is required"
            )
            problems.append({"field": "consent", "message": message, "index": entry.index})
            continue
        if not consent_checked:
            problems += consent_problems(batch.consent, now)
            consent_checked = True
        band = raw.age_band or ("under14" if entry.role == "student" else None)
        for problem in registration_problems(
            role=entry.role,
            age_band=band,
            phone=entry.e164,
            guardian_phone=entry.guardian_e164,
            given_by=batch.consent.given_by,
            field=_prefixed(field),
        ):
            if problem["field"] == "consent.given_by":  # the batch's consent, for this entry
                problem["message"] = f"entry {entry.index} ({entry.role}): {problem['message']}"
            problems.append(problem | {"index": entry.index})
    if problems:
        raise InvalidMany(problems, detail=f"{len(problems)} problem(s); nothing was written")

    known = [entry.membership.account_id for entry in entries if entry.membership]
    rows = await repository.enrollments_in_course(session, tenant.id, course.id, known)
    existing = {(e.account_id, e.role): e for e in rows}
    outcomes: list[EnrollmentOutcome] = []
    touched: list[uuid.UUID] = []
    for entry in entries:
        raw = batch.entries[entry.index]
        registered = entry.membership is None
        if entry.membership is None:
            assert batch.consent is not None
            done = await register(
                session,
                keys,
                tenant,
                actor_id,
                e164=entry.e164,
                role=entry.role,
                display_name=raw.display_name,
                age_band=raw.age_band or ("under14" if entry.role == "student" else None),
                guardian_e164=entry.guardian_e164,
                consent=batch.consent,
                field=f"entries.{entry.index}.phone",
            )
            entry.membership = done.membership
        membership = entry.membership
        enrollment = existing.get((membership.account_id, entry.role))
        outcome: Outcome = "registered_and_enrolled" if registered else "enrolled"
        if enrollment is None:
            enrollment = Enrollment(
                tenant_id=tenant.id,
                course_id=course.id,
                account_id=membership.account_id,
                role=entry.role,
            )
            session.add(enrollment)
        elif enrollment.status == "active":
            outcome = "already_enrolled"
        else:
            enrollment.status, enrollment.removed_at = "active", None
        touched.append(membership.account_id)
        outcomes.append(
            EnrollmentOutcome(
                index=entry.index,
                phone_masked=mask(entry.e164),
                role=entry.role,
                outcome=outcome,
                enrollment_id=enrollment.id,
                membership_id=membership.id,
            )
        )
    await session.flush()
    return outcomes, touched


def remove(enrollment: Enrollment) -> bool:
    """Off the course from now on (SCH-3); the row stays for the record."""
    if enrollment.status == "removed":
        return False
    enrollment.status, enrollment.removed_at = "removed", clock.now()
    return True
