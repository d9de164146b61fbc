"""The teacher's course view (issue #12): per student across lessons, attendance rate,
trend per lesson, the documented "dropped" rule, CSV, 404 out of scope."""

from __future__ import annotations

import csv
import io

from tests.analytics.conftest import ABSENTEE, add_lessons, hold_lesson, whole_lesson
from tests.classroom.conftest import (
    CLASSMATE,
    NORTH_ADMIN,
    OTHER_TEACHER,
    SOUTH_ADMIN,
    STUDENT,
    TEACHER,
    send,
)


def _url(world) -> str:
    return f"/v1/tenants/demo-north/analytics/courses/{world.course}"


async def _five_lessons(client, owner, w) -> list:
    """The hand-made lesson, then four more: STUDENT comes to all, CLASSMATE to the first
    two only, ABSENTEE to none. A future and a cancelled lesson are not "held"."""
    days = [1, 2, 3, 4]
    extra = await add_lessons(owner, w, days)
    await add_lessons(owner, w, [400])
    await add_lessons(owner, w, [5], status="cancelled")
    await hold_lesson(client, w)
    events = []
    for lesson, day in zip(extra, days, strict=True):
        events += whole_lesson(w, lesson, day, STUDENT)
    events += whole_lesson(w, extra[0], 1, CLASSMATE)
    response = await send(client, w.key, events)
    assert response.status_code == 202, response.text
    return [w.lesson, *extra]


async def test_course_view_per_student_across_lessons(client, login, owner, analytics_world):
    w = analytics_world
    lessons = await _five_lessons(client, owner, w)
    response = await client.get(_url(w), headers=await login(TEACHER))
    assert response.status_code == 200, response.text
    body = response.json()
    assert [lesson["id"] for lesson in body["lessons"]] == [str(x) for x in lessons]
    rows = {row["user"]["id"]: row for row in body["items"]}
    student, classmate, absentee = (rows[w.user(p)] for p in (STUDENT, CLASSMATE, ABSENTEE))
    # 79.8 in the hand-made lesson, 40 (attendance only) in each of the four others.
    assert student["status"] == ["present"] * 5
    assert (student["present"], student["late"], student["absent"]) == (5, 0, 0)
    assert student["attendance_rate"] == 1.0
    assert student["minutes"] == 55 + 4 * 60
    assert student["activity_score"] == 48.0
    assert (student["hand_raises"], student["rewards"], student["buzzer_wins"]) == (2, 2, 1)
    assert [c["activity_score"] for c in student["lessons"]] == [79.8, 40.0, 40.0, 40.0, 40.0]
    # Mean score 59.9 before the last three lessons, 40 in them: 19.9 < 20, not flagged.
    assert student["dropped"] == []
    assert classmate["status"] == ["late", "present", "absent", "absent", "absent"]
    assert classmate["attendance_rate"] == 0.4
    assert classmate["minutes"] == 66.0
    assert classmate["activity_score"] == 9.8
    assert classmate["dropped"] == ["attendance", "participation"]
    assert absentee["status"] == ["absent"] * 5 and absentee["dropped"] == []
    trend = [(p["attendance_rate"], p["mean_activity_score"]) for p in body["trend"]]
    assert trend == [(0.667, 29.6), (0.667, 26.7), (0.333, 13.3), (0.333, 13.3), (0.333, 13.3)]
    assert "last 3 lessons" in body["drop_rule"]


async def test_course_csv_one_row_per_student(client, login, owner, analytics_world):
    w = analytics_world
    await _five_lessons(client, owner, w)
    response = await client.get(_url(w), params={"format": "csv"}, headers=await login(TEACHER))
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert list(rows[0])[:10] == [
        "user.id", "user.display_name", "user.phone_masked", "status", "lessons_held",
        "present", "late", "absent", "attendance_rate", "dropped",
    ]  # fmt: skip
    assert len(rows) == 3
    by_id = {row["user.id"]: row for row in rows}
    classmate = by_id[w.user(CLASSMATE)]
    assert classmate["status"] == "late present absent absent absent"
    assert classmate["dropped"] == "attendance participation"


async def test_a_teacher_cannot_see_a_course_they_do_not_teach(client, login, analytics_world):
    """VIS-4, AUZ-3."""
    w = analytics_world
    assert (await client.get(_url(w), headers=await login(OTHER_TEACHER))).status_code == 404
    assert (await client.get(_url(w), headers=await login(STUDENT))).status_code == 404
    assert (await client.get(_url(w), headers=await login(SOUTH_ADMIN))).status_code == 404
    other_school = f"/v1/tenants/demo-south/analytics/courses/{w.course}"
    assert (await client.get(other_school, headers=await login(NORTH_ADMIN))).status_code == 404
    admin = await client.get(_url(w), headers=await login(NORTH_ADMIN))
    assert admin.status_code == 200 and len(admin.json()["items"]) == 3
