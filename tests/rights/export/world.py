"""A student with a record in every category, in two schools, beside a classmate whose
data must never reach the student's export."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from typing import Any

import httpx

from app.core.context import ServiceContext
from app.core.db import set_tenant
from app.roster.models import ConsentAttestation, Course, Enrollment, Lesson
from app.tenancy.models import Membership
from tests.classroom.conftest import (
    CLASSMATE,
    LESSON_START,
    NORTH_ADMIN,
    STUDENT,
    TEACHER,
    World,
    event,
    send,
)
from tests.factories import add_member, mp4

CLASSMATE_SECRET = "classmate-secret-answer"
FORMULA = '=HYPERLINK("http://evil")'
VIDEO = mp4(b"\x00\x01fake-mp4" * 100)

STUDENT_EVENTS = [
    ("attendance.joined", 0, {}),
    ("behaviour.hand_raised", 1, {}),
    ("behaviour.spoke", 2, {"duration_ms": 1500}),
    ("tool.buzzer", 3, {"result": "first"}),
    ("tool.answerer", 4, {"question": FORMULA, "choice": "A", "correct": True}),
    ("diagnostics.sample", 5, {"latency_ms": 42.0, "os": "android"}),
    ("attendance.left", 50, {"reason": "network_lost"}),
]


async def fill(client: httpx.AsyncClient, owner: ServiceContext, w: World, login: Any) -> None:
    """Events of every kind for the student and the classmate, a recording, consent, audit."""
    events = [event(w, kind, minute, **fields) for kind, minute, fields in STUDENT_EVENTS]
    events += [
        event(w, "attendance.joined", 0, who=CLASSMATE),
        event(w, "tool.answerer", 4, who=CLASSMATE, question=CLASSMATE_SECRET, choice="B",
              correct=False),
        event(w, "diagnostics.sample", 5, who=CLASSMATE, os=CLASSMATE_SECRET),
        event(w, "teacher.rewarded", 6, who=TEACHER, target=w.user(STUDENT), count=1),
    ]  # fmt: skip
    answered = await send(client, w.key, events)
    assert answered.status_code == 202, answered.text
    admin = await login(NORTH_ADMIN)
    upload = await client.post(
        f"/v1/tenants/demo-north/lessons/{w.lesson}/recordings",
        headers=admin,
        files={"file": ("lesson.mp4", VIDEO, "video/mp4")},
        data={"notice_shown": "true", "duration_seconds": "3000"},
    )
    assert upload.status_code == 201, upload.text
    # The school's admin reads the lesson's attendance: an audit entry about the student.
    read = await client.get(f"/v1/tenants/demo-north/lessons/{w.lesson}/attendance", headers=admin)
    assert read.status_code == 200, read.text
    await _attest(owner, w)
    student = await login(STUDENT)
    withdrawn = await client.post(
        "/v1/me/consents/diagnostics/withdraw?school=demo-north", headers=student
    )
    assert withdrawn.status_code == 200, withdrawn.text
    await _south_enrolment(owner, w)


async def _attest(owner: ServiceContext, w: World) -> None:
    async with owner.db.session() as session:
        await set_tenant(session, w.north.id)
        for phone in (STUDENT, CLASSMATE):
            membership = (
                await session.execute(
                    Membership.__table__.select().where(  # type: ignore[attr-defined]
                        Membership.__table__.c.account_id == w.people[phone]  # type: ignore[attr-defined]
                    )
                )
            ).first()
            assert membership is not None
            session.add(
                ConsentAttestation(
                    tenant_id=w.north.id,
                    membership_id=membership.id,
                    account_id=w.people[phone],
                    given_by="guardian",
                    method="paper_form",
                    notice_version="1",
                    given_at=datetime(2026, 9, 1, tzinfo=UTC),
                )
            )


async def _south_enrolment(owner: ServiceContext, w: World) -> None:
    """The student also learns at the southern school: its data is in the export too."""
    await add_member(owner, w.south, STUDENT, "student", name="Student in the south")
    async with owner.db.session() as session:
        await set_tenant(session, w.south.id)
        course = Course(tenant_id=w.south.id, code="SX", name="Southern extra",
                        starts_on=LESSON_START.date(), ends_on=LESSON_START.date())  # fmt: skip
        session.add(course)
        await session.flush()
        session.add(Lesson(tenant_id=w.south.id, course_id=course.id, title="SX 1",
                           starts_at=LESSON_START, duration_minutes=40))  # fmt: skip
        session.add(Enrollment(tenant_id=w.south.id, course_id=course.id,
                               account_id=w.people[STUDENT], role="student"))  # fmt: skip


def unzip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}
