"""The teacher's pages (#15): my courses -> course view -> lesson view -> CSV, with the
numbers of the hand-computed lesson of tests/analytics (the same service as the API)."""

from __future__ import annotations

import csv
import io
import re

from tests.analytics.conftest import hold_lesson
from tests.classroom.conftest import OTHER_TEACHER, SOUTH_ADMIN, TEACHER


def row_of(html: str, table_id: str, name: str) -> list[str]:
    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        if name in row:
            return [
                re.sub(r"<[^>]+>", "", c).strip()
                for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
            ]
    raise AssertionError(f"{name} not in {table_id}")


async def test_teacher_walks_from_courses_to_the_lesson_with_the_right_numbers(
    client, sign_in, analytics_world
):
    """CLS-10: the lesson table and timeline show the same figures the API computes."""
    w = analytics_world
    await hold_lesson(client, w)
    teacher = await sign_in(TEACHER)
    courses = await teacher.get("/portal/s/demo-north/teach/")
    assert courses.status_code == 200 and "Course A" in courses.text
    assert "Course B" not in courses.text  # taught by another teacher
    course = await teacher.get(f"/portal/s/demo-north/teach/courses/{w.course}")
    assert course.status_code == 200
    assert "<svg" in course.text and "出勤趋势" in course.text
    assert f"/portal/s/demo-north/teach/lessons/{w.lesson}" in course.text
    lesson = await teacher.get(f"/portal/s/demo-north/teach/lessons/{w.lesson}")
    assert lesson.status_code == 200
    student = row_of(lesson.text, "lesson-table", "student 0201")
    assert student[1:4] == ["出勤", "55.0", "2"] and student[-1] == "79.8"
    classmate = row_of(lesson.text, "lesson-table", "student 0202")
    assert classmate[1:3] == ["迟到", "6.0"] and classmate[-1] == "9.0"
    line = row_of(lesson.text, "timeline-table", "student 0201")
    assert line[2:] == ["55.0", "6.0", "17.0", "2"]
    assert lesson.text.count("<svg") == 1


async def test_teacher_downloads_the_lesson_and_course_as_csv(client, sign_in, analytics_world):
    w = analytics_world
    await hold_lesson(client, w)
    teacher = await sign_in(TEACHER)
    lesson = await teacher.get(f"/portal/s/demo-north/teach/lessons/{w.lesson}?format=csv")
    assert lesson.status_code == 200 and lesson.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(lesson.content.decode("utf-8-sig"))))
    assert {r["user.display_name"]: r["activity_score"] for r in rows}["student 0201"] == "79.8"
    course = await teacher.get(f"/portal/s/demo-north/teach/courses/{w.course}?format=csv")
    assert course.status_code == 200 and "student 0202" in course.content.decode("utf-8-sig")


async def test_a_course_the_teacher_does_not_teach_is_the_404_page(sign_in, analytics_world):
    w = analytics_world
    other = await sign_in(OTHER_TEACHER)
    page = await other.get(f"/portal/s/demo-north/teach/courses/{w.course}")
    assert page.status_code == 404 and "页面不存在" in page.text
    lesson = await other.get(f"/portal/s/demo-north/teach/lessons/{w.lesson}")
    assert lesson.status_code == 404
    south = await sign_in(SOUTH_ADMIN)
    assert (await south.get(f"/portal/s/demo-north/teach/courses/{w.course}")).status_code == 404


async def test_the_teachers_page_read_is_audited_like_the_api(
    client, login, sign_in, analytics_world
):
    """AUZ-4: a read through the portal leaves the same audit entry as the API's."""
    w = analytics_world
    await hold_lesson(client, w)
    teacher = await sign_in(TEACHER)
    assert (await teacher.get(f"/portal/s/demo-north/teach/courses/{w.course}")).status_code == 200
    from tests.classroom.conftest import STUDENT

    mine = await client.get("/v1/me/audit", headers=await login(STUDENT))
    assert mine.status_code == 200, mine.text
    assert "teaching_management" in mine.text
