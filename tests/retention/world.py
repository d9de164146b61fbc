"""A retention world: two schools, each with a teacher and two students in one course, old
(expired) and recent classroom data, rollups, a recording with its object and grant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from app.classroom.models import (
    AttendanceSpan,
    ClassroomEvent,
    LessonFile,
    LessonRollup,
    RecordingGrant,
)
from app.core import clock
from app.core.context import ServiceContext
from app.core.db import set_tenant
from app.core.ids import new_id
from app.roster.models import Course, Enrollment, Lesson
from tests.factories import add_member

NORTH_ADMIN = "+8613800000001"
SOUTH_ADMIN = "+8613900000001"
OLD_DAYS = 800  # older than every school period but the audit's
KINDS = {  # kind -> record kind
    "attendance.joined": "attendance",
    "behaviour.hand_raised": "behaviour",
    "tool.timer": "tool_use",
    "diagnostics.sample": "diagnostics",
}


@dataclass
class School:
    tenant: Any
    slug: str
    teacher: uuid.UUID
    students: list[uuid.UUID]
    lesson: uuid.UUID
    recording: uuid.UUID
    recording_key: str
    snapshot: uuid.UUID
    events: dict[str, int] = field(default_factory=dict)  # "old" / "recent" -> rows


def _table(model: Any) -> Any:
    return model.__table__


async def _roster(owner: ServiceContext, tenant: Any, prefix: str) -> tuple[Any, ...]:
    teacher, _ = await add_member(owner, tenant, f"{prefix}101", "teacher", name="Teacher")
    a, _ = await add_member(owner, tenant, f"{prefix}201", "student", name="Student A")
    b, _ = await add_member(owner, tenant, f"{prefix}202", "student", name="Student B")
    course, lesson = uuid.uuid4(), uuid.uuid4()
    async with owner.db.session() as session:
        await set_tenant(session, tenant.id)
        session.add(
            Course(
                tenant_id=tenant.id,
                id=course,
                code="R",
                name="Retention",
                starts_on=date(2024, 9, 1),
                ends_on=date(2027, 1, 31),
            )
        )
        await session.flush()
        session.add(
            Lesson(
                tenant_id=tenant.id,
                id=lesson,
                course_id=course,
                title="R1",
                starts_at=clock.now() - timedelta(days=OLD_DAYS),
                duration_minutes=60,
                teacher_id=teacher.id,
            )
        )
        for who, role in ((teacher.id, "teacher"), (a.id, "student"), (b.id, "student")):
            session.add(
                Enrollment(tenant_id=tenant.id, course_id=course, account_id=who, role=role)
            )
    return teacher.id, [a.id, b.id], lesson


def event_rows(
    tenant_id: uuid.UUID, lesson: uuid.UUID, people: list[uuid.UUID], at: datetime, n: int
) -> list[dict[str, Any]]:
    kinds = list(KINDS.items())
    rows = []
    for i in range(n):
        kind, record_kind = kinds[i % len(kinds)]
        rows.append(
            {
                "tenant_id": tenant_id,
                "id": new_id(),
                "client_id": f"c-{uuid.uuid4()}",
                "lesson_id": lesson,
                "account_id": people[i % len(people)],
                "at": at + timedelta(seconds=i),
                "kind": kind,
                "record_kind": record_kind,
                "data": {},
                "received_at": at,
            }
        )
    return rows


async def _classroom(owner: ServiceContext, school: School, objects: Path, per_age: int) -> None:
    now, tid = clock.now(), school.tenant.id
    old = now - timedelta(days=OLD_DAYS)
    async with owner.db.session() as session:
        await set_tenant(session, tid)
        for label, at in (("old", old), ("recent", now - timedelta(hours=1))):
            rows = event_rows(tid, school.lesson, school.students, at, per_age)
            await session.execute(insert(_table(ClassroomEvent)), rows)
            school.events[label] = per_age
        for i, student in enumerate(school.students):
            session.add(
                AttendanceSpan(
                    tenant_id=tid,
                    lesson_id=school.lesson,
                    account_id=student,
                    joined_at=old,
                    left_at=old + timedelta(minutes=50),
                )
            )
            session.add(
                LessonRollup(
                    tenant_id=tid,
                    lesson_id=school.lesson,
                    account_id=student,
                    attended_seconds=3000 + i,
                    joins=1,
                    hand_raises=2 + i,
                    speaking_ms=1000,
                    updated_at=old,
                )
            )
        for file_id, kind, key, created in (
            (school.recording, "recording", school.recording_key, old),
            (school.snapshot, "snapshot", f"{tid}/snap-{school.snapshot}.jpg", now),
        ):
            (objects / key).parent.mkdir(parents=True, exist_ok=True)
            (objects / key).write_bytes(b"bytes of " + kind.encode())
            session.add(
                LessonFile(
                    tenant_id=tid,
                    id=file_id,
                    lesson_id=school.lesson,
                    kind=kind,
                    object_key=key,
                    content_type="video/mp4" if kind == "recording" else "image/jpeg",
                    size_bytes=10,
                    sha256="0" * 64,
                    created_at=created,
                )
            )
        await session.flush()
        session.add(
            RecordingGrant(
                tenant_id=tid,
                recording_id=school.recording,
                account_id=school.students[0],
                expires_at=now + timedelta(days=5),
            )
        )


async def build(
    owner: ServiceContext, schools: dict[str, Any], per_age: int = 40
) -> dict[str, School]:
    out = {}
    for slug, prefix in (("demo-north", "+8613800000"), ("demo-south", "+8613900000")):
        tenant = schools[slug]
        teacher, students, lesson = await _roster(owner, tenant, prefix)
        recording = uuid.uuid4()
        school = School(
            tenant=tenant,
            slug=slug,
            teacher=teacher,
            students=students,
            lesson=lesson,
            recording=recording,
            recording_key=f"{tenant.id}/rec-{recording}.mp4",
            snapshot=uuid.uuid4(),
        )
        await _classroom(owner, school, owner.settings.object_store_dir, per_age)
        out[slug] = school
    return out


async def rows(owner: ServiceContext, model: Any, tenant_id: uuid.UUID, *where: Any) -> int:
    table = _table(model)
    async with owner.db.session() as session:
        found = await session.execute(
            select(func.count()).select_from(table).where(table.c.tenant_id == tenant_id, *where)
        )
        return int(found.scalar_one())
