"""After the retention sweep anonymised a lesson's rollups, the course view's trend and the
school's course report still show that lesson's counts (from the tally the sweep left),
while the per-person rows show nothing of the swept people; a person on legal hold keeps
their own row, and the counts add both up. (RET-4, issue #17)"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.classroom.models import LessonRollup
from app.core import clock
from app.core.vocabulary import HoldScope, RetentionCategory
from app.retention.models import LegalHold
from app.retention.service import sweep_all
from tests.analytics.conftest import ABSENTEE, add_lessons, hold_lesson, whole_lesson
from tests.classroom.conftest import CLASSMATE, NORTH_ADMIN, STUDENT, TEACHER, send

DAY = 86400
SWEPT = [
    RetentionCategory.ATTENDANCE, RetentionCategory.BEHAVIOUR, RetentionCategory.TOOL_USE,
    RetentionCategory.TEACHER_ACTION, RetentionCategory.COURSEWARE_USE,
    RetentionCategory.DIAGNOSTICS, RetentionCategory.ROLLUP,
]  # fmt: skip
REPORT = "/v1/tenants/demo-north/reports/courses"


async def _views(client: Any, login: Any, w: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    course = await client.get(
        f"/v1/tenants/demo-north/analytics/courses/{w.course}", headers=await login(TEACHER)
    )
    assert course.status_code == 200, course.text
    report = await client.get(REPORT, headers=await login(NORTH_ADMIN))
    assert report.status_code == 200, report.text
    rows = [r for r in report.json()["items"] if r["course"]["id"] == str(w.course)]
    return course.json(), rows[0]


async def _rollups(owner: Any, w: Any) -> int:
    async with owner.db.session() as session:
        query = select(func.count()).where(LessonRollup.tenant_id == w.north.id)  # type: ignore[arg-type]
        return int((await session.execute(query)).scalar_one())


async def test_ret4_course_views_keep_the_counts_of_swept_lessons_but_no_person(
    client, login, owner, settings, analytics_world
):
    w = analytics_world
    extra = await add_lessons(owner, w, [1])
    await hold_lesson(client, w)
    sent = await send(client, w.key, whole_lesson(w, extra[0], 1, CLASSMATE))
    assert sent.status_code == 202, sent.text
    course, report = await _views(client, login, w)
    counts = [point["counts"] for point in course["trend"]]
    assert counts[0]["participants"] >= 3 and counts[0]["hand_raises"] > 0
    assert counts[0]["answers_total"] > 0 and counts[1]["participants"] == 1
    assert counts[1]["minutes"] == 60.0
    assert report["counts"]["participants"] == sum(c["participants"] for c in counts)
    assert report["counts"]["hand_raises"] == sum(c["hand_raises"] for c in counts)
    rows = {row["user"]["id"]: row for row in course["items"]}
    kept_row = rows[w.user(STUDENT)]
    assert rows[w.user(CLASSMATE)]["minutes"] > 0

    async with owner.db.session() as session:  # the student's rows are kept, the others go
        session.add(LegalHold(tenant_id=w.north.id, scope=HoldScope.PERSON,
                              account_id=w.people[STUDENT], reason="a court's order"))  # fmt: skip
    clock.advance(800 * DAY)
    await sweep_all(owner.db, settings, "demo-north", SWEPT, dry_run=False, batch_size=7,
                    trigger="cli")  # fmt: skip
    assert 0 < await _rollups(owner, w) < counts[0]["participants"]  # the student's only

    course_after, report_after = await _views(client, login, w)
    assert [point["counts"] for point in course_after["trend"]] == counts
    assert report_after["counts"] == report["counts"]
    rows = {row["user"]["id"]: row for row in course_after["items"]}
    for person in (CLASSMATE, ABSENTEE):
        row = rows[w.user(person)]
        assert row["status"] == ["absent", "absent"] and row["minutes"] == 0
        assert (row["hand_raises"], row["answers_total"], row["speaking_seconds"]) == (0, 0, 0)
    assert rows[w.user(STUDENT)]["minutes"] == kept_row["minutes"]

    lesson = await client.get(
        f"/v1/tenants/demo-north/analytics/lessons/{w.lesson}", headers=await login(TEACHER)
    )
    assert lesson.status_code == 200, lesson.text
    swept = [r for r in lesson.json()["items"] if r["user"]["id"] == w.user(CLASSMATE)]
    assert swept[0]["minutes"] == 0 and swept[0]["hand_raises"] == 0


async def test_the_swept_counts_of_one_school_are_not_another_schools(
    client, login, owner, settings, analytics_world
):
    """The south admin's report names none of the north's swept lessons' counts."""
    w = analytics_world
    await hold_lesson(client, w)
    clock.advance(800 * DAY)
    await sweep_all(owner.db, settings, "demo-north", SWEPT, dry_run=False, batch_size=50,
                    trigger="cli")  # fmt: skip
    assert await _rollups(owner, w) == 0
    south = await client.get(
        "/v1/tenants/demo-south/reports/courses", headers=await login("+8613900000001")
    )
    assert south.status_code == 200, south.text
    assert all(r["counts"]["participants"] == 0 for r in south.json()["items"])
    north = await client.get(
        f"/v1/tenants/demo-south/analytics/courses/{w.course}", headers=await login(TEACHER)
    )
    assert north.status_code == 404
