"""The teacher's lesson view (issue #12): every figure against a hand-computed lesson,
late/absent rules, the school's late threshold, CSV, 404 out of scope, audit."""

from __future__ import annotations

import csv
import io

from sqlalchemy import update

from app.analytics import scoring
from app.core.db import set_tenant
from app.tenancy.models import Tenant
from tests.analytics.conftest import ABSENTEE, EXPECTED, hold_lesson
from tests.classroom.conftest import (
    CLASSMATE,
    GUARDIAN,
    NORTH_ADMIN,
    OTHER_TEACHER,
    SOUTH_ADMIN,
    STUDENT,
    TEACHER,
)


def _url(world, suffix: str = "") -> str:
    return f"/v1/tenants/demo-north/analytics/lessons/{world.lesson}{suffix}"


async def _rows(client, headers, world, **params) -> dict[str, dict]:
    response = await client.get(_url(world), headers=headers, params=params)
    assert response.status_code == 200, response.text
    return {row["user"]["id"]: row for row in response.json()["items"]}


async def test_every_figure_matches_the_hand_computed_lesson(client, login, analytics_world):
    """Joins, a leave, a crash without leave, a removal, rewards, answers, buzzer (CLS-10)."""
    w = analytics_world
    await hold_lesson(client, w)
    teacher = await login(TEACHER)
    response = await client.get(_url(w), headers=teacher)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["lesson"]["actual_start"].startswith("2026-11-20T10:02:00")
    assert body["lesson"]["minutes"] == 60.0
    rows = {row["user"]["id"]: row for row in body["items"]}
    # Each enrolled student, present or not; the teacher is not a row.
    assert set(rows) == {w.user(STUDENT), w.user(CLASSMATE), w.user(ABSENTEE)}
    for phone, expected in EXPECTED.items():
        row = rows[w.user(phone)]
        assert {name: row[name] for name in expected} == expected, phone
        assert row["user"]["phone_masked"] and row["user"]["display_name"]
    student = rows[w.user(STUDENT)]
    assert student["first_join"].startswith("2026-11-20T10:02:00")
    assert student["last_leave"].startswith("2026-11-20T10:20:00")
    assert rows[w.user(ABSENTEE)]["first_join"] is None


async def test_the_score_formula_is_in_the_answer_and_the_openapi(client, login, analytics_world):
    w = analytics_world
    body = (await client.get(_url(w), headers=await login(TEACHER))).json()
    formula = body["formula"]
    assert formula["activity_score"] == scoring.FORMULA_TEXT
    weights = {c["name"]: c["weight"] for c in formula["components"]}
    assert weights == {
        "attendance": 40, "hand_raises": 15, "speaking": 15,
        "camera": 10, "answers": 10, "rewards": 10,
    }  # fmt: skip
    assert sum(weights.values()) == 100
    assert formula["late_after_minutes"] == 5 and formula["time_zone"] == "Asia/Shanghai"
    openapi = (await client.get("/openapi.json")).json()
    described = openapi["paths"]["/v1/tenants/{slug}/analytics/lessons/{lesson_id}"]["get"]
    assert "40 × attendance" in described["description"]


async def test_late_is_measured_from_the_actual_start_with_the_school_threshold(
    client, login, owner, analytics_world
):
    """CLASSMATE joined 7 minutes after the actual start: late at 5, present at 10."""
    w = analytics_world
    await hold_lesson(client, w)
    teacher = await login(TEACHER)
    assert (await _rows(client, teacher, w))[w.user(CLASSMATE)]["status"] == "late"
    async with owner.db.session() as session:
        await session.execute(
            update(Tenant).where(Tenant.id == w.north.id).values(late_after_minutes=10)
        )
    rows = await _rows(client, teacher, w)
    assert rows[w.user(CLASSMATE)]["status"] == "present"
    assert rows[w.user(ABSENTEE)]["status"] == "absent"


async def test_csv_has_the_documented_columns_a_bom_and_chinese_names(
    client, login, analytics_world
):
    w = analytics_world
    await hold_lesson(client, w)
    response = await client.get(_url(w), params={"format": "csv"}, headers=await login(TEACHER))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert list(rows[0]) == [
        "user.id", "user.display_name", "user.phone_masked", "status", "first_join",
        "last_leave", "joins", "leave_reasons", "removals", "minutes", "hand_raises",
        "rewards", "speaking_seconds", "camera_seconds", "stage_seconds", "answers_correct",
        "answers_total", "buzzer_wins", "activity_score",
    ]  # fmt: skip
    by_id = {row["user.id"]: row for row in rows}
    assert by_id[w.user(ABSENTEE)]["user.display_name"] == "学生 缺席"
    student = by_id[w.user(STUDENT)]
    assert (student["status"], student["minutes"], student["activity_score"]) == (
        "present", "55.0", "79.8",
    )  # fmt: skip


async def test_out_of_scope_lessons_answer_404(client, login, analytics_world):
    """A teacher of another course, another school's admin, a student or guardian (who use
    their learning record instead), a forged id: 404 like a missing lesson (AUZ-2)."""
    w = analytics_world
    for phone in (OTHER_TEACHER, STUDENT, GUARDIAN):
        response = await client.get(_url(w), headers=await login(phone))
        assert response.status_code == 404, phone
    south = await login(SOUTH_ADMIN)
    assert (await client.get(_url(w), headers=south)).status_code == 404
    south_url = f"/v1/tenants/demo-south/analytics/lessons/{w.lesson}"
    assert (await client.get(south_url, headers=await login(NORTH_ADMIN))).status_code == 404
    forged = "/v1/tenants/demo-north/analytics/lessons/not-an-id"
    assert (await client.get(forged, headers=await login(TEACHER))).status_code == 404
    assert (await client.get(_url(w))).status_code == 401
    admin = await client.get(_url(w), headers=await login(NORTH_ADMIN))
    assert admin.status_code == 200 and len(admin.json()["items"]) == 3


async def test_a_purpose_that_does_not_cover_rollups_is_refused(client, login, analytics_world):
    w = analytics_world
    response = await client.get(
        _url(w), params={"purpose": "security"}, headers=await login(TEACHER)
    )
    assert response.status_code == 403
    assert response.json()["type"].endswith("purpose-refused")


async def test_the_student_sees_at_me_audit_who_looked_at_their_analytics(
    client, login, analytics_world
):
    w = analytics_world
    await hold_lesson(client, w)
    teacher = await login(TEACHER)
    assert (await client.get(_url(w), headers=teacher)).status_code == 200
    assert (await client.get(_url(w), params={"format": "csv"}, headers=teacher)).status_code == 200
    mine = (await client.get("/v1/me/audit", headers=await login(STUDENT))).json()["items"]
    reads = [e for e in mine if e["record_kind"] == "rollup"]
    assert [(e["action"], e["purpose"], e["actor_id"]) for e in reads] == [
        ("export", "teaching_management", w.user(TEACHER)),
        ("list", "teaching_management", w.user(TEACHER)),
    ]


async def test_the_teacher_of_another_school_cannot_set_that_schools_tenant(
    client, login, owner, analytics_world
):
    """Row-level security: another school's lesson id through this school's path is 404."""
    w = analytics_world
    async with owner.db.session() as session:
        await set_tenant(session, w.south.id)
    url = f"/v1/tenants/demo-north/analytics/lessons/{w.south_lesson}"
    assert (await client.get(url, headers=await login(NORTH_ADMIN))).status_code == 404
