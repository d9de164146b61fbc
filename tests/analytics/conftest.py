"""The classroom world (tests/classroom/conftest.py) plus a student who never comes, and a
hand-made lesson whose every figure is worked out by hand in `EXPECTED` (issue #12)."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.db import set_tenant
from app.roster.models import Enrollment
from tests.classroom.conftest import (
    CLASSMATE,
    LESSON_START,
    OTHER_TEACHER,
    STUDENT,
    TEACHER,
    World,
    event,
    send,
    world,
)
from tests.factories import add_member

__all__ = ["LESSON_START", "OTHER_TEACHER", "TEACHER", "World", "world"]

ABSENTEE = "+8613800000203"


@pytest.fixture
async def analytics_world(owner, world) -> World:
    account, _ = await add_member(owner, world.north, ABSENTEE, "student", name="学生 缺席")
    world.people[ABSENTEE] = account.id
    async with owner.db.session() as session:
        await set_tenant(session, world.north.id)
        session.add(
            Enrollment(
                tenant_id=world.north.id,
                course_id=world.course,
                account_id=account.id,
                role="student",
            )
        )
    return world


def lesson_events(w: World, lesson: Any = None) -> list[dict[str, Any]]:
    """The lesson starts 2 minutes late (10:02) and ends at 11:02 (60 minutes)."""
    s, c, t = STUDENT, CLASSMATE, TEACHER
    at = {"lesson": lesson} if lesson is not None else {}
    return [
        event(w, "attendance.joined", 0, who=t, **at),
        event(w, "lesson.started", 2, who=t, **at),
        event(w, "courseware.opened", 2.5, who=t, courseware="unit-1.pdf", **at),
        event(w, "attendance.joined", 2, who=s, **at),  # on time
        event(w, "behaviour.camera_on", 3, who=s, **at),
        event(w, "behaviour.stage_up", 4, who=s, **at),
        event(w, "behaviour.spoke", 5, who=s, duration_ms=30_000, **at),
        event(w, "behaviour.spoke", 6, who=s, duration_ms=45_000, **at),
        event(w, "behaviour.hand_raised", 7, who=s, **at),
        event(w, "behaviour.hand_raised", 8, who=s, **at),
        event(w, "behaviour.rewarded", 9, who=s, count=2, **at),
        event(w, "teacher.rewarded", 9, who=t, target=w.user(s), count=2, **at),
        event(w, "behaviour.stage_down", 10, who=s, **at),
        event(w, "tool.buzzer", 11, who=s, result="first", **at),
        event(w, "tool.answerer", 12, who=s, question="1+1", choice="2", correct=True, **at),
        event(w, "tool.answerer", 13, who=s, question="2+2", choice="5", correct=False, **at),
        event(w, "teacher.muted", 14, who=t, target=w.user(s), **at),
        event(w, "attendance.left", 20, who=s, reason="network_lost", **at),  # camera off too
        event(w, "attendance.joined", 25, who=s, **at),  # then a crash: no leave
        event(w, "attendance.joined", 9, who=c, **at),  # 7 minutes after the start: late
        event(w, "behaviour.hand_raised", 10, who=c, **at),
        event(w, "behaviour.removed", 15, who=c, **at),
        event(w, "attendance.left", 15, who=c, reason="removed", **at),
        event(w, "attendance.left", 62, who=t, reason="lesson_ended", **at),
        event(w, "lesson.ended", 62, who=t, **at),
    ]


# By hand. STUDENT: online 10:02-10:20 and 10:25-11:02 (closed at the end) = 55 min;
# camera 10:03-10:20 = 1020 s; stage 10:04-10:10 = 360 s; spoke 75 s; score
# 40*3300/3600 + 15*2/3 + 15*1 + 10*1020/3300 + 10*1/2 + 10*2/2 = 79.758 -> 79.8.
# CLASSMATE: online 10:09-10:15 = 6 min, late; score 40*360/3600 + 15*1/3 = 9.0.
EXPECTED: dict[str, dict[str, Any]] = {
    STUDENT: {
        "status": "present",
        "minutes": 55.0,
        "joins": 2,
        "leave_reasons": ["network_lost"],
        "stage_seconds": 360,
        "speaking_seconds": 75.0,
        "camera_seconds": 1020,
        "hand_raises": 2,
        "rewards": 2,
        "answers_correct": 1,
        "answers_total": 2,
        "buzzer_wins": 1,
        "removals": 0,
        "activity_score": 79.8,
    },
    CLASSMATE: {
        "status": "late",
        "minutes": 6.0,
        "joins": 1,
        "leave_reasons": ["removed"],
        "stage_seconds": 0,
        "speaking_seconds": 0.0,
        "camera_seconds": 0,
        "hand_raises": 1,
        "rewards": 0,
        "answers_correct": 0,
        "answers_total": 0,
        "buzzer_wins": 0,
        "removals": 1,
        "activity_score": 9.0,
    },
    ABSENTEE: {
        "status": "absent",
        "minutes": 0.0,
        "joins": 0,
        "leave_reasons": [],
        "stage_seconds": 0,
        "speaking_seconds": 0.0,
        "camera_seconds": 0,
        "hand_raises": 0,
        "rewards": 0,
        "answers_correct": 0,
        "answers_total": 0,
        "buzzer_wins": 0,
        "removals": 0,
        "activity_score": 0.0,
    },
}


async def hold_lesson(client, w: World, lesson: Any = None) -> None:
    response = await send(client, w.key, lesson_events(w, lesson))
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == len(lesson_events(w, lesson)), response.text


async def add_lessons(owner, w: World, days: list[int], **fields: Any) -> list[Any]:
    """More lessons of course A, `days` after the first one, 60 minutes each."""
    from datetime import timedelta
    from uuid import uuid4

    from app.roster.models import Lesson

    ids = []
    async with owner.db.session() as session:
        await set_tenant(session, w.north.id)
        for day in days:
            lesson = Lesson(
                tenant_id=w.north.id,
                id=uuid4(),
                course_id=w.course,
                title=f"A lesson day {day}",
                starts_at=LESSON_START + timedelta(days=day),
                duration_minutes=60,
                teacher_id=w.people[TEACHER],
                **fields,
            )
            session.add(lesson)
            ids.append(lesson.id)
    return ids


def whole_lesson(w: World, lesson: Any, day: int, who: str) -> list[dict[str, Any]]:
    """`who` is there from the planned start to the planned end of the lesson on `day`."""
    base = day * 24 * 60
    return [
        event(w, "attendance.joined", base, who=who, lesson=lesson),
        event(w, "attendance.left", base + 60, who=who, lesson=lesson, reason="left"),
    ]
