"""The student's learning record (issue #12): own figures, timetable in the school's time
zone, answers, CSV; a guardian for a child; classmates only as the class saw them live and
only where the school allows it (VIS-1); other schools and other children: 404."""

from __future__ import annotations

import csv
import io

from sqlalchemy import update

from app.tenancy.models import Tenant
from tests.analytics.conftest import add_lessons, hold_lesson
from tests.classroom.conftest import CLASSMATE, GUARDIAN, SOUTH_STUDENT, STUDENT, TEACHER

URL = "/v1/me/learning-record"


async def test_my_record_has_my_lessons_answers_and_timetable(
    client, login, owner, analytics_world
):
    """ROL-4, SCH-4."""
    w = analytics_world
    await hold_lesson(client, w)
    [coming] = await add_lessons(owner, w, [400])
    response = await client.get(URL, headers=await login(STUDENT))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["school"] == "demo-north" and body["student"]["id"] == w.user(STUDENT)
    assert sorted(c["code"] for c in body["courses"]) == ["A", "B"]
    [lesson] = [x for x in body["lessons"] if x["lesson_id"] == str(w.lesson)]
    assert (lesson["status"], lesson["minutes"], lesson["activity_score"]) == (
        "present",
        55.0,
        79.8,
    )
    assert (lesson["hand_raises"], lesson["rewards"], lesson["buzzer_wins"]) == (2, 2, 1)
    # 10:00 UTC is 18:00 in Asia/Shanghai, the school's zone (tenant file).
    assert (lesson["local_date"], lesson["week"]) == ("2026-11-20", "2026-W47")
    assert [(a["question"], a["correct"]) for a in body["answers"]] == [
        ("1+1", True),
        ("2+2", False),
    ]
    assert [t["lesson_id"] for t in body["timetable"]] == [str(coming)]
    assert body["timetable"][0]["local_start"].endswith("+08:00")
    assert body["formula"]["components"]
    # Nothing of classmates while the school keeps class_visible off.
    assert body["classmates"] == {}
    assert w.user(CLASSMATE) not in response.text


async def test_classmates_only_as_the_class_saw_them_where_the_school_allows(
    client, login, owner, analytics_world
):
    w = analytics_world
    await hold_lesson(client, w)
    async with owner.db.session() as session:
        await session.execute(
            update(Tenant)
            .where(Tenant.id == w.north.id)
            .values(options={"class_visible": True, "students_watch_recordings": False})
        )
    response = await client.get(URL, headers=await login(STUDENT))
    assert response.status_code == 200, response.text
    seen = response.json()["classmates"][str(w.lesson)]
    # The teacher is not a classmate; the absentee has no rollup (was not seen).
    assert seen == [
        {"display_name": "student 0202", "present": True, "hand_raises": 1, "rewards": 0}
    ]
    assert w.user(CLASSMATE) not in response.text  # no id, phone, score or speaking time
    audit = (await client.get("/v1/me/audit", headers=await login(CLASSMATE))).json()["items"]
    reads = [(e["actor_id"], e["record_kind"]) for e in audit if e["purpose"] == "learning_record"]
    assert reads == [(w.user(STUDENT), "behaviour")]


async def test_a_guardian_reads_their_child_and_no_one_else(client, login, analytics_world):
    """ROL-6."""
    w = analytics_world
    await hold_lesson(client, w)
    guardian = await login(GUARDIAN)
    child = await client.get(URL, params={"student": w.user(STUDENT)}, headers=guardian)
    assert child.status_code == 200, child.text
    [lesson] = [x for x in child.json()["lessons"] if x["lesson_id"] == str(w.lesson)]
    assert lesson["minutes"] == 55.0
    missing = await client.get(URL, headers=guardian)
    assert missing.status_code == 422 and missing.json()["field"] == "student"
    other = await client.get(URL, params={"student": w.user(CLASSMATE)}, headers=guardian)
    assert other.status_code == 404
    student = await login(STUDENT)
    peek = await client.get(URL, params={"student": w.user(CLASSMATE)}, headers=student)
    assert peek.status_code == 404
    audit = (await client.get("/v1/me/audit", headers=student)).json()["items"]
    assert (w.user(GUARDIAN), "learning_record") in [(e["actor_id"], e["purpose"]) for e in audit]


async def test_another_schools_record_is_404(client, login, analytics_world):
    w = analytics_world
    student = await login(STUDENT)
    assert (
        await client.get(URL, params={"school": "demo-south"}, headers=student)
    ).status_code == 404
    south = await client.get(URL, headers=await login(SOUTH_STUDENT))
    assert south.status_code == 200 and south.json()["school"] == "demo-south"
    assert w.user(STUDENT) not in south.text
    teacher = await client.get(URL, headers=await login(TEACHER))
    assert teacher.status_code == 403  # a teacher has no learning record of their own
    assert (await client.get(URL)).status_code == 401


async def test_my_record_as_csv(client, login, analytics_world):
    w = analytics_world
    await hold_lesson(client, w)
    response = await client.get(URL, params={"format": "csv"}, headers=await login(STUDENT))
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert list(rows[0])[:7] == [
        "lesson_id", "course_id", "title", "planned_start", "local_date", "week", "status",
    ]  # fmt: skip
    [row] = [r for r in rows if r["lesson_id"] == str(w.lesson)]
    assert (row["status"], row["minutes"], row["activity_score"]) == ("present", "55.0", "79.8")
