"""Demo classroom events: a few hundred per past lesson of the demo schools, every kind.

Runs after the roster demo (which makes the courses and lessons). Event ids are derived
from the lesson, and the batch goes through the real ingestion path, so loading twice
changes nothing.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.classroom.ingest.service import ingest
from app.core import clock
from app.core.security import Keys
from app.roster.models import Enrollment, Lesson, LessonStatus
from app.tenancy.models import Tenant

MAX_LESSONS = 24
LEAVE_REASONS = ("left", "network_lost", "duplicate_login", "other")


class _Lesson:
    """Builds one lesson's events in time order with deterministic ids."""

    def __init__(self, lesson: Lesson) -> None:
        self.lesson = lesson
        self.start = lesson.actual_start or lesson.starts_at
        self.minutes = max(lesson.duration_minutes, 10)
        self.events: list[dict[str, Any]] = []
        self.rng = random.Random(lesson.id.int)

    def add(self, who: uuid.UUID, minute: float, kind: str, **fields: Any) -> None:
        at = self.start + timedelta(minutes=min(max(minute, 0), self.minutes))
        self.events.append(
            {
                "id": f"demo-{self.lesson.id}-{len(self.events)}",
                "lesson": str(self.lesson.id),
                "user": str(who),
                "at": at.isoformat(),
                "kind": kind,
                **fields,
            }
        )

    def diagnostics(self, who: uuid.UUID, minute: float) -> None:
        rng = self.rng
        self.add(
            who,
            minute,
            "diagnostics.sample",
            ip=f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            latency_ms=round(rng.uniform(15, 180), 1),
            packet_loss=round(rng.uniform(0, 0.05), 3),
            os=rng.choice(["Windows 11", "macOS 14", "iPadOS 17", "Android 14"]),
            device_type=rng.choice(["desktop", "laptop", "tablet", "phone"]),
            cpu=rng.choice(["Intel i5", "Apple M2", "Snapdragon 8"]),
            client_version="5.3.0",
            device_id=f"dev-{who.hex[:8]}",
            user_gateway="gw-user-bj-1",
            access_gateway="gw-access-bj-2",
            camera="HD webcam",
            microphone="built-in",
            speaker="built-in",
        )

    def teacher(self, teacher: uuid.UUID, students: list[uuid.UUID]) -> None:
        end, rng = self.minutes, self.rng
        self.add(teacher, 0, "lesson.started")
        self.add(teacher, 0, "attendance.joined")
        self.add(teacher, 0.5, "behaviour.camera_on")
        self.add(teacher, 0.5, "behaviour.mic_on")
        self.add(teacher, 1, "recording.started")
        self.add(teacher, 1, "courseware.opened", courseware="slides-unit-1")
        for page in range(2, 12):
            self.add(
                teacher, page * end / 13, "courseware.page", courseware="slides-unit-1", page=page
            )
        for minute in range(5, end, 10):
            self.add(teacher, minute, "lesson.stage_count", count=rng.randint(1, 4))
        for kind in ("tool.timer", "tool.wheel", "tool.whiteboard", "tool.screen_share"):
            fields: dict[str, Any] = {"seconds": 60} if kind == "tool.timer" else {}
            if kind == "tool.screen_share":
                fields = {"state": "on"}
            self.add(teacher, rng.uniform(5, end - 5), kind, **fields)
        self.add(teacher, rng.uniform(5, end - 5), "tool.buzzer")
        self.add(teacher, rng.uniform(5, end - 5), "teacher.muted")
        for student in rng.sample(students, min(3, len(students))):
            self.add(
                teacher, rng.uniform(5, end - 5), "teacher.rewarded", target=str(student), count=1
            )
            self.add(teacher, rng.uniform(5, end - 5), "teacher.hand_handled", target=str(student))
            self.add(teacher, rng.uniform(5, end - 5), "teacher.authorized", target=str(student))
        self.diagnostics(teacher, 2)
        self.add(teacher, end - 1, "recording.stopped")
        self.add(teacher, end, "attendance.left", reason="lesson_ended")
        self.add(teacher, end, "lesson.ended")

    def student(self, student: uuid.UUID, removed: bool) -> None:
        end, rng = self.minutes, self.rng
        joined = rng.uniform(0, 4)
        self.add(student, joined, "attendance.joined")
        self.add(student, joined + 0.2, "behaviour.camera_on")
        self.add(student, joined + 0.3, "behaviour.mic_on")
        self.diagnostics(student, joined + 0.5)
        for _ in range(rng.randint(2, 5)):
            at = rng.uniform(joined + 1, end - 2)
            self.add(student, at, "behaviour.hand_raised")
            self.add(student, at + 0.5, "behaviour.hand_lowered")
            self.add(student, at + 0.6, "behaviour.spoke", duration_ms=rng.randint(2000, 40000))
        stage = rng.uniform(10, end - 10)
        self.add(student, stage, "behaviour.stage_up")
        self.add(student, stage + rng.uniform(1, 5), "behaviour.stage_down")
        self.add(student, rng.uniform(5, end), "behaviour.rewarded", count=rng.randint(1, 3))
        self.add(student, rng.uniform(5, end), "tool.authorized")
        self.add(student, rng.uniform(5, end), "tool.buzzer", result="answered")
        for q in range(1, 4):
            self.add(
                student,
                q * end / 4,
                "tool.answerer",
                question=f"q{q}",
                choice=rng.choice("ABCD"),
                correct=rng.random() < 0.7,
            )
        if rng.random() < 0.2:
            drop = rng.uniform(15, end - 15)
            self.add(student, drop, "attendance.left", reason=rng.choice(LEAVE_REASONS))
            self.add(student, drop + 2, "attendance.joined")
            self.add(student, drop + 2.2, "behaviour.camera_on")
        if removed:
            self.add(student, end - 3, "behaviour.removed")
            self.add(student, end - 3, "attendance.left", reason="removed")
            return
        self.add(student, end - 0.5, "behaviour.camera_off")
        self.add(student, end - 0.5, "behaviour.mic_off")
        self.add(student, end, "attendance.left", reason="lesson_ended")


async def _past_lessons(session: AsyncSession, tenant_id: uuid.UUID) -> list[Lesson]:
    now = clock.now()
    rows = await session.execute(
        select(Lesson)
        .where(
            col(Lesson.tenant_id) == tenant_id,
            col(Lesson.status) != LessonStatus.cancelled,
            col(Lesson.starts_at) < now - timedelta(hours=3),
        )
        .order_by(col(Lesson.starts_at).desc())
        .limit(MAX_LESSONS)
    )
    return list(rows.scalars())


async def _roster(
    session: AsyncSession, tenant_id: uuid.UUID, course_id: uuid.UUID
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    rows = await session.execute(
        select(col(Enrollment.account_id), col(Enrollment.role))
        .where(
            col(Enrollment.tenant_id) == tenant_id,
            col(Enrollment.course_id) == course_id,
            col(Enrollment.status) == "active",
        )
        .order_by(col(Enrollment.account_id))
    )
    teachers: list[uuid.UUID] = []
    students: list[uuid.UUID] = []
    for account_id, role in rows.all():
        (students if role == "student" else teachers).append(account_id)
    return teachers, students


async def load(session: AsyncSession, keys: Keys, tenant: Tenant, people: Any) -> list[str]:
    lessons = await _past_lessons(session, tenant.id)
    if not lessons:
        return [f"{tenant.slug}: no past lessons yet, so no classroom events"]
    accepted = duplicates = 0
    for lesson in lessons:
        teachers, students = await _roster(session, tenant.id, lesson.course_id)
        teacher = lesson.teacher_id or (teachers[0] if teachers else None)
        if teacher is None or not students:
            continue
        builder = _Lesson(lesson)
        builder.teacher(teacher, students)
        for n, student in enumerate(students):
            builder.student(student, removed=n == len(students) - 1 and len(students) > 1)
        for start in range(0, len(builder.events), 5000):
            result = await ingest(session, keys, tenant.id, builder.events[start : start + 5000])
            accepted += result.accepted
            duplicates += result.duplicates
    return [
        f"{tenant.slug}: classroom events for {len(lessons)} past lessons "
        f"({accepted} new, {duplicates} already there)"
    ]
