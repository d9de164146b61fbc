"""A small classroom world: two schools, courses, lessons, people on the roster, an API key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from app.core.context import ServiceContext
from app.core.db import set_tenant
from app.roster.models import Course, Enrollment, Guardianship, Lesson
from tests.factories import add_member

NORTH_ADMIN = "+8613800000001"
SOUTH_ADMIN = "+8613900000001"
TEACHER = "+8613800000101"
OTHER_TEACHER = "+8613800000102"
STUDENT = "+8613800000201"
CLASSMATE = "+8613800000202"
GUARDIAN = "+8613800000301"
SOUTH_STUDENT = "+8613900000201"
LESSON_START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@dataclass
class World:
    north: Any
    south: Any
    people: dict[str, uuid.UUID] = field(default_factory=dict)
    lesson: uuid.UUID = field(default_factory=uuid.uuid4)  # course A, taught by TEACHER
    other_lesson: uuid.UUID = field(default_factory=uuid.uuid4)  # course B, OTHER_TEACHER
    south_lesson: uuid.UUID = field(default_factory=uuid.uuid4)
    course: uuid.UUID = field(default_factory=uuid.uuid4)
    key: str = ""
    south_key: str = ""

    def user(self, phone: str) -> str:
        return str(self.people[phone])


async def _course(
    owner: ServiceContext,
    tenant: Any,
    code: str,
    lesson_id: uuid.UUID,
    teacher: uuid.UUID,
    students: list[uuid.UUID],
    course_id: uuid.UUID | None = None,
) -> uuid.UUID:
    course_id = course_id or uuid.uuid4()
    async with owner.db.session() as session:
        await set_tenant(session, tenant.id)
        session.add(
            Course(
                tenant_id=tenant.id,
                id=course_id,
                code=code,
                name=f"Course {code}",
                starts_on=date(2026, 9, 1),
                ends_on=date(2027, 1, 31),
            )
        )
        await session.flush()
        session.add(
            Lesson(
                tenant_id=tenant.id,
                id=lesson_id,
                course_id=course_id,
                title=f"{code} lesson 1",
                starts_at=LESSON_START,
                duration_minutes=60,
                teacher_id=teacher,
            )
        )
        session.add(
            Enrollment(tenant_id=tenant.id, course_id=course_id, account_id=teacher, role="teacher")
        )
        for student in students:
            session.add(
                Enrollment(
                    tenant_id=tenant.id, course_id=course_id, account_id=student, role="student"
                )
            )
    return course_id


async def make_key(client: httpx.AsyncClient, headers: dict[str, str], slug: str) -> str:
    response = await client.post(
        f"/v1/tenants/{slug}/api-keys", json={"name": "classroom"}, headers=headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


@pytest.fixture
async def world(owner, schools, client, login) -> World:
    north, south = schools["demo-north"], schools["demo-south"]
    w = World(north=north, south=south)
    for phone, role in (
        (TEACHER, "teacher"),
        (OTHER_TEACHER, "teacher"),
        (STUDENT, "student"),
        (CLASSMATE, "student"),
        (GUARDIAN, "guardian"),
    ):
        account, _ = await add_member(owner, north, phone, role, name=f"{role} {phone[-4:]}")
        w.people[phone] = account.id
    south_student, _ = await add_member(owner, south, SOUTH_STUDENT, "student", name="South kid")
    w.people[SOUTH_STUDENT] = south_student.id
    w.course = await _course(
        owner, north, "A", w.lesson, w.people[TEACHER], [w.people[STUDENT], w.people[CLASSMATE]]
    )
    await _course(owner, north, "B", w.other_lesson, w.people[OTHER_TEACHER], [w.people[STUDENT]])
    south_teacher, _ = await add_member(owner, south, "+8613900000101", "teacher")
    await _course(owner, south, "S", w.south_lesson, south_teacher.id, [south_student.id])
    async with owner.db.session() as session:
        await set_tenant(session, north.id)
        session.add(
            Guardianship(
                tenant_id=north.id, guardian_id=w.people[GUARDIAN], student_id=w.people[STUDENT]
            )
        )
    w.key = await make_key(client, await login(NORTH_ADMIN), "demo-north")
    w.south_key = await make_key(client, await login(SOUTH_ADMIN), "demo-south")
    return w


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def event(
    w: World,
    kind: str,
    minute: float = 0,
    *,
    who: str = STUDENT,
    lesson: uuid.UUID | None = None,
    cid: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    at = LESSON_START.timestamp() + minute * 60
    return {
        "id": cid or f"ev-{uuid.uuid4()}",
        "lesson": str(lesson or w.lesson),
        "user": w.user(who),
        "at": datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z"),
        "kind": kind,
        **fields,
    }


async def send(client: httpx.AsyncClient, key: str, events: list[dict[str, Any]]) -> httpx.Response:
    return await client.post("/v1/ingest/events", json={"events": events}, headers=bearer(key))
