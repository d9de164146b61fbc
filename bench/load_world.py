"""The load bench's world: 20 schools, each with an admin, two teachers, 30 students, four
courses of one lesson each and an ingestion API key, written with the ORM as the owner."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app.accounts.models import ApiKey
from app.accounts.service import new_account
from app.core.ids import new_id
from app.core.security import Keys, sha256_hex
from app.roster.models import Course, Enrollment, Lesson
from app.tenancy.models import Membership, Tenant
from bench.ingest import MIX

SCHOOLS, TEACHERS, STUDENTS, COURSES, PER_COURSE = 20, 2, 30, 4, 15
START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


@dataclass
class LessonFacts:
    id: uuid.UUID
    teacher: uuid.UUID
    students: list[uuid.UUID]


@dataclass
class School:
    slug: str
    tenant_id: uuid.UUID
    key: str
    admin: uuid.UUID
    teachers: list[uuid.UUID] = field(default_factory=list)
    students: list[uuid.UUID] = field(default_factory=list)
    lessons: list[LessonFacts] = field(default_factory=list)

    def batch(self, number: int, size: int) -> list[dict[str, Any]]:
        """Batch `number` of the school's stream: new client ids, inside the lessons' hours."""
        events = []
        for i in range(size):
            seq = number * size + i
            lesson = self.lessons[seq % len(self.lessons)]
            kind, _, fields = MIX[seq % len(MIX)]
            at = START + timedelta(hours=seq % len(self.lessons), milliseconds=(seq % 9000) * 250)
            events.append(
                {
                    "id": f"{self.slug}-b{number}-e{i}",
                    "lesson": str(lesson.id),
                    "user": str(lesson.students[(seq // len(MIX)) % len(lesson.students)]),
                    "at": at.isoformat(),
                    "kind": kind,
                    **fields,
                }
            )
        return events


def _people(session: Session, keys: Keys, tenant_id: uuid.UUID, n: int, role: str) -> list[Any]:
    digit, count = {"school_admin": (1, 1), "teacher": (2, TEACHERS), "student": (3, STUDENTS)}[
        role
    ]
    accounts = [
        new_account(keys, f"+86137{n:02d}{digit}{i:05d}", f"{role} {i}", "school")
        for i in range(count)
    ]
    session.add_all(accounts)
    session.flush()
    for account in accounts:
        session.add(
            Membership(
                tenant_id=tenant_id,
                account_id=account.id,
                role=role,
                status="active",
                age_band="adult",
                display_name=account.display_name,
            )
        )
    return [a.id for a in accounts]


def _courses(session: Session, school: School) -> None:
    for c in range(COURSES):
        course = Course(
            tenant_id=school.tenant_id,
            code=f"C{c}",
            name=f"Course {c}",
            starts_on=date(2026, 9, 1),
            ends_on=date(2027, 1, 31),
        )
        session.add(course)
        session.flush()
        teacher = school.teachers[c % len(school.teachers)]
        students = [school.students[(c * 7 + i) % len(school.students)] for i in range(PER_COURSE)]
        lesson = Lesson(
            tenant_id=school.tenant_id,
            course_id=course.id,
            title=f"Lesson {c}",
            starts_at=START + timedelta(hours=c),
            duration_minutes=45,
            teacher_id=teacher,
        )
        session.add(lesson)
        for account, role in [(teacher, "teacher"), *((s, "student") for s in students)]:
            session.add(
                Enrollment(
                    tenant_id=school.tenant_id, course_id=course.id, account_id=account, role=role
                )
            )
        session.flush()
        school.lessons.append(LessonFacts(lesson.id, teacher, students))


def seed(owner_sync_url: str, keys: Keys) -> list[School]:
    engine = create_engine(owner_sync_url)
    schools = []
    try:
        for n in range(SCHOOLS):
            tenant_id = new_id()
            key = f"rk_{tenant_id.hex}_load{uuid.uuid4().hex}"
            with Session(engine) as session, session.begin():
                session.execute(
                    text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)}
                )
                slug = f"load-{n:02d}"
                session.add(Tenant(id=tenant_id, slug=slug, name=f"Load school {n}", region="CN"))
                session.flush()
                admin = _people(session, keys, tenant_id, n, "school_admin")[0]
                school = School(slug, tenant_id, key, admin)
                school.teachers = _people(session, keys, tenant_id, n, "teacher")
                school.students = _people(session, keys, tenant_id, n, "student")
                _courses(session, school)
                session.add(
                    ApiKey(
                        tenant_id=tenant_id, name="load", prefix=key[:16], key_hash=sha256_hex(key)
                    )
                )
            schools.append(school)
    finally:
        engine.dispose()
    return schools
