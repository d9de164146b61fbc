"""A small seeded world for authorisation tests, written through the owner connection.

School A (demo-north): admin, teacher T1 (course C1, with assistant AS1, student S1 and
classmate S3), guardian G1 of S1, teacher T2 (course C2, with student S2), guardian G2 of S2
(two guardians with different children: a guardian reaches only their own). School B
(demo-south): its admin, a student SB in course CB. One platform staff account, member of
no school.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from app.accounts.models import Account
from app.accounts.service import get_or_create_account
from app.authz.audit import record
from app.core.context import ServiceContext
from app.core.db import set_tenant
from app.core.phones import normalize
from app.roster.models import Course, Enrollment, Lesson
from app.tenancy.models import Guardianship, Membership, MembershipStatus

PHONES = {
    "admin": "+8613800000001",
    "teacher": "+8613800000101",
    "teacher2": "+8613800000102",
    "assistant": "+8613800000151",
    "student": "+8613800000201",
    "student2": "+8613800000202",
    "classmate": "+8613800000203",
    "guardian": "+8613800000301",
    "guardian2": "+8613800000302",
    "admin_b": "+8613900000001",
    "student_b": "+8613900000201",
    "staff": "+8613600000001",
}
ROLE_OF = {
    "admin": "school_admin",
    "teacher": "teacher",
    "teacher2": "teacher",
    "assistant": "assistant",
    "student": "student",
    "student2": "student",
    "classmate": "student",
    "guardian": "guardian",
    "guardian2": "guardian",
}


@dataclass
class World:
    a: Any
    b: Any
    people: dict[str, Account] = field(default_factory=dict)
    memberships: dict[str, Membership] = field(default_factory=dict)
    courses: dict[str, uuid.UUID] = field(default_factory=dict)
    lessons: dict[str, uuid.UUID] = field(default_factory=dict)
    enrollments: dict[str, uuid.UUID] = field(default_factory=dict)

    def id(self, who: str) -> uuid.UUID:
        return self.people[who].id


async def _account(owner: ServiceContext, session: Any, who: str, staff: bool = False) -> Account:
    account, _ = await get_or_create_account(
        session, owner.keys, normalize(PHONES[who]), who.title()
    )
    if staff:
        account.is_staff = True
    return account


async def build_world(owner: ServiceContext, schools: dict[str, Any]) -> World:
    world = World(a=schools["demo-north"], b=schools["demo-south"])
    async with owner.db.session() as session:
        await set_tenant(session, world.a.id)
        for who, role in ROLE_OF.items():
            account = await _account(owner, session, who)
            world.people[who] = account
            if who == "admin":  # the tenant file made this membership already
                continue
            membership = Membership(
                tenant_id=world.a.id,
                account_id=account.id,
                role=role,
                status=MembershipStatus.active,
                display_name=who.title(),
            )
            session.add(membership)
            world.memberships[who] = membership
        world.people["staff"] = await _account(owner, session, "staff", staff=True)
        await session.flush()
        c1 = Course(
            tenant_id=world.a.id,
            code="C1",
            name="Course One",
            starts_on=date(2026, 9, 1),
            ends_on=date(2027, 1, 31),
        )
        c2 = Course(
            tenant_id=world.a.id,
            code="C2",
            name="Course Two",
            starts_on=date(2026, 9, 1),
            ends_on=date(2027, 1, 31),
        )
        session.add_all([c1, c2])
        await session.flush()
        world.courses.update(c1=c1.id, c2=c2.id)
        for course, who, role in (
            (c1, "teacher", "teacher"),
            (c1, "assistant", "assistant"),
            (c1, "student", "student"),
            (c1, "classmate", "student"),
            (c2, "teacher2", "teacher"),
            (c2, "student2", "student"),
        ):
            enrollment = Enrollment(
                tenant_id=world.a.id, course_id=course.id, account_id=world.id(who), role=role
            )
            session.add(enrollment)
            world.enrollments[who] = enrollment.id
        for name, course, teacher in (("l1", c1, "teacher"), ("l2", c2, "teacher2")):
            lesson = _lesson(world.a.id, course.id, world.id(teacher))
            session.add(lesson)
            world.lessons[name] = lesson.id
        for guardian, child in (("guardian", "student"), ("guardian2", "student2")):
            session.add(
                Guardianship(
                    tenant_id=world.a.id,
                    guardian_id=world.id(guardian),
                    student_id=world.id(child),
                )
            )
        await session.flush()

        await set_tenant(session, world.b.id)
        world.people["admin_b"] = await _account(owner, session, "admin_b")
        student_b = await _account(owner, session, "student_b")
        world.people["student_b"] = student_b
        membership_b = Membership(
            tenant_id=world.b.id,
            account_id=student_b.id,
            role="student",
            status=MembershipStatus.active,
        )
        session.add(membership_b)
        world.memberships["student_b"] = membership_b
        cb = Course(
            tenant_id=world.b.id,
            code="CB",
            name="Course B",
            starts_on=date(2026, 9, 1),
            ends_on=date(2027, 1, 31),
        )
        session.add(cb)
        await session.flush()
        world.courses["cb"] = cb.id
        enrollment_b = Enrollment(
            tenant_id=world.b.id, course_id=cb.id, account_id=student_b.id, role="student"
        )
        session.add(enrollment_b)
        world.enrollments["student_b"] = enrollment_b.id
        lesson_b = _lesson(world.b.id, cb.id, None)
        session.add(lesson_b)
        world.lessons["lb"] = lesson_b.id
        await session.flush()
    return world


def _lesson(tenant_id: uuid.UUID, course_id: uuid.UUID, teacher: uuid.UUID | None) -> Lesson:
    return Lesson(
        tenant_id=tenant_id,
        course_id=course_id,
        title="Lesson",
        starts_at=datetime(2026, 10, 1, 8, 0, tzinfo=UTC),
        duration_minutes=45,
        teacher_id=teacher,
    )


async def add_entry(
    owner: ServiceContext,
    tenant: Any,
    *,
    subjects: list[uuid.UUID],
    actor: uuid.UUID | None = None,
    kind: str = "attendance",
    action: str = "read",
    purpose: str = "learning_record",
) -> uuid.UUID:
    """An audit entry written as a request would write it."""
    async with owner.db.session() as session:
        await set_tenant(session, tenant.id)
        return await record(
            session,
            tenant_id=tenant.id,
            actor_id=actor,
            actor_kind="member",
            record_kind=kind,
            action=action,
            purpose=purpose,
            subjects=subjects,
        )
