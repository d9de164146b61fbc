"""Courses and lessons: scheduling rules, scoped reads, teacher updates, other schools 404."""

from __future__ import annotations

from app.core.pagination import encode_cursor
from tests.roster.helpers import NORTH, NORTH_ADMIN, SOUTH, SOUTH_ADMIN, course, fields, person

T1, T2, STUDENT = "13800000601", "13800000602", "13800000603"


async def _setup(client, login):
    admin = await login(NORTH_ADMIN)
    for phone in (T1, T2):
        r = await client.post(f"{NORTH}/members", json=person(phone), headers=admin)
        assert r.status_code == 201
    r = await client.post(f"{NORTH}/members", json=person(STUDENT, "student"), headers=admin)
    assert r.status_code == 201
    ids = []
    for code, teacher in (("MATH-7A", T1), ("ART-7A", T2)):
        c = await client.post(f"{NORTH}/courses", json=course(code), headers=admin)
        assert c.status_code == 201, c.text
        ids.append(c.json()["id"])
        entries = [{"phone": teacher, "role": "teacher"}]
        if code == "MATH-7A":
            entries.append({"phone": STUDENT, "role": "student"})
        r = await client.post(
            f"{NORTH}/courses/{ids[-1]}/enrollments", json={"entries": entries}, headers=admin
        )
        assert r.status_code == 200, r.text
    return admin, ids


def lesson(start: str = "2026-11-24T08:00:00Z", minutes: int = 45, **over):
    return {"title": "Fractions", "starts_at": start, "duration_minutes": minutes} | over


async def test_course_create_list_and_retry(client, schools, login):
    admin = await login(NORTH_ADMIN)
    r = await client.post(f"{NORTH}/courses", json=course(), headers=admin)
    assert r.status_code == 201 and r.json()["id"]
    again = await client.post(f"{NORTH}/courses", json=course(), headers=admin)
    assert again.status_code == 200 and again.json()["id"] == r.json()["id"]
    clash = await client.post(f"{NORTH}/courses", json=course(name="Other"), headers=admin)
    assert clash.status_code == 409 and clash.json()["field"] == "code"
    bad = await client.post(
        f"{NORTH}/courses", json=course("X", ends_on="2026-08-01"), headers=admin
    )
    assert bad.status_code == 422 and bad.json()["field"] == "ends_on"
    listed = await client.get(f"{NORTH}/courses", headers=admin)
    assert [c["code"] for c in listed.json()["items"]] == ["MATH-7A"]


async def test_lesson_rules(client, schools, login):
    admin, (math, art) = await _setup(client, login)
    path = f"{NORTH}/courses/{math}/lessons"
    ok = await client.post(path, json=lesson(teacher_phone=T1), headers=admin)
    assert ok.status_code == 201, ok.text
    retry = await client.post(path, json=lesson(teacher_phone=T1), headers=admin)
    assert retry.status_code == 200 and retry.json()["id"] == ok.json()["id"]
    past = await client.post(
        path, json=lesson("2026-10-01T08:00:00Z", title="Held", teacher_phone=T1), headers=admin
    )
    assert past.status_code == 201
    cases = [
        (lesson("2027-03-01T08:00:00Z", title="Late"), "starts_at"),
        (lesson("2026-08-31T08:00:00Z", title="Early"), "starts_at"),
        (lesson(minutes=0, title="Zero"), "duration_minutes"),
        (lesson(minutes=-5, title="Neg"), "duration_minutes"),
        (lesson(minutes=721, title="Long"), "duration_minutes"),
        (lesson(title="Nobody", teacher_phone="13800000699"), "teacher_phone"),
        (lesson(title="Student", teacher_phone=STUDENT), "teacher_phone"),
        (lesson("2026-11-24T08:30:00Z", title="Overlap", teacher_phone=T1), "starts_at"),
    ]
    for body, field in cases:
        r = await client.post(path, json=body, headers=admin)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["field"] == field, body
        assert r.headers["content-type"].startswith("application/problem+json")
    # Back to back is fine; another teacher at the same time is fine.
    after = await client.post(
        path, json=lesson("2026-11-24T08:45:00Z", title="Next", teacher_phone=T1), headers=admin
    )
    assert after.status_code == 201
    other = await client.post(
        f"{NORTH}/courses/{art}/lessons", json=lesson(teacher_phone=T2), headers=admin
    )
    assert other.status_code == 201
    listed = await client.get(path, params={"limit": 2}, headers=admin)
    assert [x["title"] for x in listed.json()["items"]] == ["Held", "Fractions"]
    rest = await client.get(path, params={"cursor": listed.json()["next_cursor"]}, headers=admin)
    assert [x["title"] for x in rest.json()["items"]] == ["Next"]


async def test_teacher_sees_and_updates_only_taught_courses(client, schools, login):
    admin, (math, art) = await _setup(client, login)
    math_lesson = (
        await client.post(
            f"{NORTH}/courses/{math}/lessons", json=lesson(teacher_phone=T1), headers=admin
        )
    ).json()
    art_lesson = (
        await client.post(
            f"{NORTH}/courses/{art}/lessons", json=lesson(teacher_phone=T2), headers=admin
        )
    ).json()
    t1 = await login(T1)
    courses = (await client.get(f"{NORTH}/courses", headers=t1)).json()["items"]
    assert [c["id"] for c in courses] == [math]
    assert (await client.get(f"{NORTH}/courses/{art}", headers=t1)).status_code == 404
    assert (await client.get(f"{NORTH}/courses/{art}/lessons", headers=t1)).status_code == 404
    assert (await client.get(f"{NORTH}/courses/{art}/enrollments", headers=t1)).status_code == 404
    assert (await client.get(f"{NORTH}/lessons/{art_lesson['id']}", headers=t1)).status_code == 404
    # Teachers see the people of their courses only (phones masked).
    members = (await client.get(f"{NORTH}/members", headers=t1)).json()["items"]
    assert len(members) == 2 and all("*" in m["phone_masked"] for m in members)
    r = await client.patch(
        f"{NORTH}/lessons/{math_lesson['id']}",
        json={"title": "Fractions II", "starts_at": "2026-11-25T08:00:00Z"},
        headers=t1,
    )
    assert r.status_code == 200 and r.json()["title"] == "Fractions II"
    r = await client.patch(
        f"{NORTH}/lessons/{art_lesson['id']}", json={"title": "Mine now"}, headers=t1
    )
    assert r.status_code == 404
    r = await client.patch(
        f"{NORTH}/lessons/{math_lesson['id']}", json={"duration_minutes": 900}, headers=t1
    )
    assert r.status_code == 422 and "duration_minutes" in fields(r)
    r = await client.patch(
        f"{NORTH}/lessons/{math_lesson['id']}", json={"status": "live"}, headers=t1
    )
    assert r.status_code == 200 and r.json()["actual_start"]
    # Teachers may not create courses or lessons.
    assert (
        await client.post(f"{NORTH}/courses", json=course("NEW"), headers=t1)
    ).status_code == 403
    r = await client.post(f"{NORTH}/courses/{math}/lessons", json=lesson(title="x"), headers=t1)
    assert r.status_code == 403


async def test_student_sees_own_courses_and_schedule_not_classmates(client, schools, login):
    admin, (math, art) = await _setup(client, login)
    await client.post(f"{NORTH}/courses/{math}/lessons", json=lesson(), headers=admin)
    student = await login(STUDENT)
    courses = (await client.get(f"{NORTH}/courses", headers=student)).json()["items"]
    assert [c["id"] for c in courses] == [math]
    lessons = await client.get(f"{NORTH}/courses/{math}/lessons", headers=student)
    assert lessons.status_code == 200 and len(lessons.json()["items"]) == 1
    assert (await client.get(f"{NORTH}/courses/{art}/lessons", headers=student)).status_code == 404
    enrolled = (await client.get(f"{NORTH}/courses/{math}/enrollments", headers=student)).json()
    assert [e["role"] for e in enrolled["items"]] == ["student"]  # the teacher's row is not theirs
    mine = (await client.get(f"{NORTH}/enrollments", headers=student)).json()["items"]
    assert len(mine) == 1
    assert (await client.get(f"{NORTH}/members", headers=student)).status_code == 403


async def test_other_school_gets_404_everywhere(client, schools, login):
    admin, (math, _art) = await _setup(client, login)
    lesson_id = (
        await client.post(f"{NORTH}/courses/{math}/lessons", json=lesson(), headers=admin)
    ).json()["id"]
    south = await login(SOUTH_ADMIN)
    for method, path, body in [
        ("GET", f"{NORTH}/courses", None),
        ("POST", f"{NORTH}/courses", course("S")),
        ("GET", f"{NORTH}/courses/{math}", None),
        ("GET", f"{NORTH}/courses/{math}/lessons", None),
        ("POST", f"{NORTH}/courses/{math}/lessons", lesson()),
        ("GET", f"{NORTH}/lessons/{lesson_id}", None),
        ("PATCH", f"{NORTH}/lessons/{lesson_id}", {"title": "x"}),
        ("GET", f"{NORTH}/courses/{math}/enrollments", None),
        (
            "POST",
            f"{NORTH}/courses/{math}/enrollments",
            {"entries": [{"phone": T1, "role": "teacher"}]},
        ),
        ("GET", f"{NORTH}/enrollments", None),
        # The record ids of school A asked through school B's own path.
        ("GET", f"{SOUTH}/courses/{math}", None),
        ("GET", f"{SOUTH}/courses/{math}/lessons", None),
        ("GET", f"{SOUTH}/lessons/{lesson_id}", None),
        ("PATCH", f"{SOUTH}/lessons/{lesson_id}", {"title": "x"}),
        (
            "POST",
            f"{SOUTH}/courses/{math}/enrollments",
            {"entries": [{"phone": T1, "role": "teacher"}]},
        ),
    ]:
        r = await client.request(method, path, json=body, headers=south)
        assert r.status_code == 404, (method, path, r.status_code)


async def test_lessons_answer_a_forged_cursor_with_422(client, schools, login):
    """The schedule's (time, id) cursor: one this API did not issue is 422 `cursor` (#10)."""
    admin, (math, _art) = await _setup(client, login)
    path = f"{NORTH}/courses/{math}/lessons"
    forged = (
        encode_cursor(["2026-11-24T08:00:00+00:00"]),
        encode_cursor(["2026-11-24T08:00:00+00:00", "not-an-id"]),
        encode_cursor(["yesterday", "00000000-0000-0000-0000-000000000000"]),
    )
    for cursor in forged:
        r = await client.get(path, params={"cursor": cursor}, headers=admin)
        assert r.status_code == 422, cursor
        assert r.json()["field"] == "cursor"
