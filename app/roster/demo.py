"""Demo roster: three courses per school with a term of weekly lessons around 2026-11-23,
the demo teachers and students enrolled, guardians linked to the under-14s, and the
school's consent attestation for everyone. Idempotent."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.security import Keys
from app.core.vocabulary import Role
from app.roster.models import (
    ConsentAttestation,
    Course,
    Enrollment,
    Guardianship,
    Lesson,
    LessonStatus,
)
from app.tenancy.models import Membership, Tenant

DEMO_TODAY = date(2026, 11, 23)
TERM = ("2026 autumn", date(2026, 9, 1), date(2027, 1, 22))
FIRST_WEEK = DEMO_TODAY - timedelta(days=DEMO_TODAY.weekday() + 28)  # Monday, four weeks back
WEEKS = 8
CONSENT_AT = datetime(2026, 9, 1, tzinfo=UTC)
# code, name, subject, teacher index, weekday, UTC start (09:00 etc. in Beijing), students
COURSES: list[tuple[str, str, str, int, int, time, range]] = [
    ("MATH-7", "Mathematics, Grade 7", "Mathematics", 0, 1, time(1, 0), range(0, 10)),
    ("CHN-8", "Chinese, Grade 8", "Chinese", 1, 2, time(2, 0), range(10, 20)),
    ("ENG-7", "English, Grade 7", "English", 0, 3, time(6, 0), range(0, 20)),
]


async def load(session: AsyncSession, keys: Keys, tenant: Tenant, people: Any) -> list[str]:
    tid = tenant.id
    new = {"courses": 0, "lessons": 0, "enrollments": 0, "guardianships": 0, "attestations": 0}
    for code, name, subject, teacher_n, weekday, at, student_range in COURSES:
        course = (
            await session.execute(
                select(Course).where(col(Course.tenant_id) == tid, col(Course.code) == code)
            )
        ).scalar_one_or_none()
        if course is None:
            course = Course(
                tenant_id=tid,
                code=code,
                name=name,
                subject=subject,
                term=TERM[0],
                starts_on=TERM[1],
                ends_on=TERM[2],
            )
            session.add(course)
            await session.flush()
            new["courses"] += 1
        teacher = people.teachers[teacher_n]
        members = [(teacher.id, Role.TEACHER)] + [
            (people.students[i].id, Role.STUDENT) for i in student_range
        ]
        if code == "MATH-7":
            members.append((people.assistants[0].id, Role.ASSISTANT))
        new["enrollments"] += await _enroll(session, tenant, course, members)
        new["lessons"] += await _lessons(session, tenant, course, teacher.id, weekday, at)
    new["guardianships"] = await _guardians(session, tenant, people)
    new["attestations"] = await _attestations(session, tenant, people)
    await session.flush()
    made = ", ".join(f"{n} {what}" for what, n in new.items())
    return [f"{tenant.slug}: roster demo ({made} new)"]


async def _enroll(
    session: AsyncSession, tenant: Tenant, course: Course, members: list[tuple[Any, Role]]
) -> int:
    rows = await session.execute(
        select(col(Enrollment.account_id), col(Enrollment.role)).where(
            col(Enrollment.tenant_id) == tenant.id, col(Enrollment.course_id) == course.id
        )
    )
    have = set(rows.all())
    added = 0
    for account_id, role in members:
        if (account_id, role) not in have:
            session.add(
                Enrollment(
                    tenant_id=tenant.id, course_id=course.id, account_id=account_id, role=role
                )
            )
            added += 1
    return added


async def _lessons(
    session: AsyncSession, tenant: Tenant, course: Course, teacher_id: Any, weekday: int, at: time
) -> int:
    rows = await session.execute(
        select(col(Lesson.title)).where(
            col(Lesson.tenant_id) == tenant.id, col(Lesson.course_id) == course.id
        )
    )
    have = set(rows.scalars())
    added = 0
    for week in range(WEEKS):
        title = f"{course.name}: week {week + 1}"
        if title in have:
            continue
        day = FIRST_WEEK + timedelta(days=7 * week + weekday)
        starts_at = datetime.combine(day, at, tzinfo=UTC)
        lesson = Lesson(
            tenant_id=tenant.id,
            course_id=course.id,
            title=title,
            starts_at=starts_at,
            duration_minutes=45,
            teacher_id=teacher_id,
        )
        if day < DEMO_TODAY:
            lesson.status = LessonStatus.ended
            lesson.actual_start = starts_at + timedelta(minutes=2)
            lesson.actual_end = starts_at + timedelta(minutes=48)
        session.add(lesson)
        added += 1
    return added


async def _guardians(session: AsyncSession, tenant: Tenant, people: Any) -> int:
    rows = await session.execute(
        select(col(Guardianship.guardian_id), col(Guardianship.student_id)).where(
            col(Guardianship.tenant_id) == tenant.id
        )
    )
    have = set(rows.all())
    added = 0
    for guardian, student in zip(people.guardians, people.students[:10], strict=False):
        if (guardian.id, student.id) not in have:
            session.add(
                Guardianship(tenant_id=tenant.id, guardian_id=guardian.id, student_id=student.id)
            )
            added += 1
    return added


async def _attestations(session: AsyncSession, tenant: Tenant, people: Any) -> int:
    """The school's attestation for each demo person it registered (guardians for under-14s)."""
    attested = set(
        (
            await session.execute(
                select(col(ConsentAttestation.membership_id)).where(
                    col(ConsentAttestation.tenant_id) == tenant.id
                )
            )
        ).scalars()
    )
    memberships = (
        await session.execute(
            select(Membership).where(
                col(Membership.tenant_id) == tenant.id, col(Membership.role) != Role.SCHOOL_ADMIN
            )
        )
    ).scalars()
    guardian_of = {s.id: g.id for g, s in zip(people.guardians, people.students[:10], strict=False)}
    added = 0
    for m in memberships:
        if m.id in attested:
            continue
        guardian_id = guardian_of.get(m.account_id) if m.age_band == "under14" else None
        session.add(
            ConsentAttestation(
                tenant_id=tenant.id,
                membership_id=m.id,
                account_id=m.account_id,
                given_by="guardian" if guardian_id else "self",
                guardian_id=guardian_id,
                method="paper_form",
                notice_version=tenant.notice_version,
                given_at=CONSENT_AT,
                attested_by=people.admin.id,
            )
        )
        added += 1
    return added
