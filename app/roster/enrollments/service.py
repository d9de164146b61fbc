"""Adding people to a course by phone number in bulk (SCH-1), reading and taking them off (SCH-3).

All or nothing: every entry is checked first, and any bad entry answers 422 listing each
one before anything is written. A number that is not yet a member in the entry's role is
proxy-registered with the batch's consent attestation. Three phases: read the entries
(numbers, duplicates), resolve them against the school (memberships, consent), write.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import Account
from app.accounts.repository import accounts_by_phone_hashes
from app.accounts.service import phone_hash
from app.authz.access import Access
from app.core import clock
from app.core.errors import InvalidMany, NotFound
from app.core.ids import parse_id
from app.core.pagination import PageParams, paginate
from app.core.phones import InvalidPhone, mask, normalize
from app.core.security import Keys
from app.core.vocabulary import Role
from app.roster import repository as courses
from app.roster.enrollments import repository
from app.roster.members import repository as members
from app.roster.members.service import (
    Problem,
    consent_problems,
    register,
    registration_problems,
)
from app.roster.models import Course, Enrollment
from app.roster.schemas import EnrollmentBatch, EnrollmentOutcome, Outcome
from app.roster.scopes import course_person_predicate
from app.roster.service import visible_courses
from app.tenancy.models import Membership, MembershipStatus, Tenant
from app.tenancy.repository import LIVE_STATUSES

EnrollmentRow = tuple[Enrollment, Account]


@dataclass
class _Entry:
    index: int
    e164: str
    role: str
    guardian_e164: str | None
    membership: Membership | None = None


def _prefixed(prefix: str) -> Callable[[str], str]:
    return lambda name: f"{prefix}.{name}"


def _student_band(age_band: str | None, role: str) -> str | None:
    """A student registered without an age band is taken to be under 14 (MIN-1)."""
    return age_band or ("under14" if role == Role.STUDENT else None)


def _read_entries(batch: EnrollmentBatch, region: str) -> tuple[list[_Entry], list[Problem]]:
    """Each entry's numbers in E.164, and a problem for a bad number or a repeated entry."""
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
    return entries, problems


async def _memberships(
    session: AsyncSession, keys: Keys, tenant: Tenant, entries: list[_Entry]
) -> dict[tuple[str, str], Membership]:
    """The school's existing memberships of the entries, by (number, role)."""
    hashes = {e.e164: phone_hash(keys, e.e164) for e in entries}
    accounts = await accounts_by_phone_hashes(session, sorted(set(hashes.values())))
    account_ids = [a.id for a in accounts.values()]
    rows = await members.memberships_of_accounts(session, tenant.id, account_ids)
    by_account = {(m.account_id, m.role): m for m in rows}
    found: dict[tuple[str, str], Membership] = {}
    for entry in entries:
        account = accounts.get(hashes[entry.e164])
        membership = by_account.get((account.id, entry.role)) if account else None
        if membership is not None:
            found[(entry.e164, entry.role)] = membership
    return found


def _resolve(
    batch: EnrollmentBatch,
    entries: list[_Entry],
    memberships: dict[tuple[str, str], Membership],
) -> list[Problem]:
    """Links each entry to its membership; a new person needs the batch's consent (MIN-1/2)."""
    problems: list[Problem] = []
    consent_checked = False
    for entry in entries:
        membership = memberships.get((entry.e164, entry.role))
        field = f"entries.{entry.index}"
        if membership is not None:
            if membership.status not in LIVE_STATUSES:
                inactive = membership.status == MembershipStatus.inactive
                state = "deactivated" if inactive else "disputed"
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
            problems += consent_problems(batch.consent, clock.now())
            consent_checked = True
        for problem in registration_problems(
            role=entry.role,
            age_band=_student_band(batch.entries[entry.index].age_band, entry.role),
            phone=entry.e164,
            guardian_phone=entry.guardian_e164,
            given_by=batch.consent.given_by,
            field=_prefixed(field),
        ):
            if problem["field"] == "consent.given_by":  # the batch's consent, for this entry
                problem["message"] = f"entry {entry.index} ({entry.role}): {problem['message']}"
            problems.append(problem | {"index": entry.index})
    return problems


async def _register(
    session: AsyncSession,
    keys: Keys,
    tenant: Tenant,
    actor_id: uuid.UUID | None,
    batch: EnrollmentBatch,
    entry: _Entry,
) -> Membership:
    """Proxy-registers an entry that is not yet a member in its role."""
    raw = batch.entries[entry.index]
    assert batch.consent is not None  # _resolve refused a new person without consent
    done = await register(
        session,
        keys,
        tenant,
        actor_id,
        e164=entry.e164,
        role=entry.role,
        display_name=raw.display_name,
        age_band=_student_band(raw.age_band, entry.role),
        guardian_e164=entry.guardian_e164,
        consent=batch.consent,
        field=f"entries.{entry.index}.phone",
    )
    return done.membership


def _enrolled(
    session: AsyncSession,
    tenant: Tenant,
    course: Course,
    membership: Membership,
    role: str,
    existing: Enrollment | None,
) -> tuple[Enrollment, bool]:
    """The (new or reactivated) enrolment, and whether it was active already."""
    if existing is None:
        enrollment = Enrollment(
            tenant_id=tenant.id, course_id=course.id, account_id=membership.account_id, role=role
        )
        session.add(enrollment)
        return enrollment, False
    if existing.status == "active":
        return existing, True
    existing.status, existing.removed_at = "active", None
    return existing, False


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
    entries, problems = _read_entries(batch, region)
    memberships = await _memberships(session, keys, tenant, entries)
    problems += _resolve(batch, entries, memberships)
    if problems:
        raise InvalidMany(problems, detail=f"{len(problems)} problem(s); nothing was written")

    known = [entry.membership.account_id for entry in entries if entry.membership]
    rows = await repository.enrollments_in_course(session, tenant.id, course.id, known)
    existing = {(e.account_id, e.role): e for e in rows}
    outcomes: list[EnrollmentOutcome] = []
    for entry in entries:
        registered = entry.membership is None
        if entry.membership is None:
            entry.membership = await _register(session, keys, tenant, actor_id, batch, entry)
        membership = entry.membership
        found = existing.get((membership.account_id, entry.role))
        enrollment, already = _enrolled(session, tenant, course, membership, entry.role, found)
        outcome: Outcome = "registered_and_enrolled" if registered else "enrolled"
        outcomes.append(
            EnrollmentOutcome(
                index=entry.index,
                phone_masked=mask(entry.e164),
                role=entry.role,
                outcome="already_enrolled" if already else outcome,
                enrollment_id=enrollment.id,
                membership_id=membership.id,
            )
        )
    await session.flush()
    return outcomes, [entry.membership.account_id for entry in entries if entry.membership]


def remove(enrollment: Enrollment) -> bool:
    """Off the course from now on (SCH-3); the row stays for the record."""
    if enrollment.status == "removed":
        return False
    enrollment.status, enrollment.removed_at = "removed", clock.now()
    return True


def _visible_enrollments(access: Access) -> ColumnElement[bool]:
    return course_person_predicate(access, col(Enrollment.course_id), col(Enrollment.account_id))


async def enrollment_page(
    session: AsyncSession, access: Access, page: PageParams, *, course: Course | None = None
) -> tuple[list[EnrollmentRow], str | None]:
    """The enrolments the caller may see (of one course, or of every course), in id order."""
    rows = await repository.list_enrollments(
        session,
        access.tenant_id,
        _visible_enrollments(access),
        course_id=course.id if course else None,
        after=page.after_id(),
        fetch=page.fetch,
    )
    return paginate(rows, page.limit, cursor_of=lambda row: [str(row[0].id)])


async def course_of_enrollments(session: AsyncSession, access: Access, course_id: str) -> Course:
    """A course the caller reaches, or in which they may see an enrolment (e.g. their own)."""
    parsed = parse_id(course_id)
    with_visible = repository.courses_with_visible_enrollments(
        access.tenant_id, _visible_enrollments(access)
    )
    reachable = or_(visible_courses(access), col(Course.id).in_(with_visible))
    course = (
        await courses.course_by_id(session, access.tenant_id, parsed, reachable) if parsed else None
    )
    if course is None:
        raise NotFound("no such course")
    return course


async def enrollment_in_course(
    session: AsyncSession, access: Access, course: Course, enrollment_id: str
) -> Enrollment:
    parsed = parse_id(enrollment_id)
    in_course = col(Enrollment.course_id) == course.id
    enrollment = (
        await repository.enrollment_by_id(session, access.tenant_id, parsed, in_course)
        if parsed
        else None
    )
    if enrollment is None:
        raise NotFound("no such enrollment")
    return enrollment
