"""The school's course and teaching-quality reports in the portal (#15): an SVG chart with
the numbers of GET /v1/tenants/{slug}/reports/... in a table beside it."""

from __future__ import annotations

from tests.analytics.conftest import hold_lesson
from tests.classroom.conftest import NORTH_ADMIN, SOUTH_ADMIN, STUDENT, TEACHER
from tests.portal.test_portal_teacher import row_of

R = "/portal/s/demo-north/admin/reports"


async def test_the_course_report_charts_the_apis_figures(client, login, sign_in, analytics_world):
    w = analytics_world
    await hold_lesson(client, w)
    api = await client.get(
        "/v1/tenants/demo-north/reports/courses", headers=await login(NORTH_ADMIN)
    )
    a = next(r for r in api.json()["items"] if r["course"]["code"] == "A")
    admin = await sign_in(NORTH_ADMIN)
    shown = await admin.get(R + "/courses")
    assert shown.status_code == 200 and "<svg" in shown.text
    row = row_of(shown.text, "course-report", "(A)")
    assert row[3:6] == [str(a["students"]), str(a["lessons_planned"]), str(a["lessons_held"])]
    assert row[8] == f"{a['attendance_rate'] * 100:.1f}%"  # 66.7%
    svg = shown.text.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert svg.count("<rect") == len(api.json()["items"])


async def test_the_teaching_quality_report_per_teacher(client, sign_in, analytics_world):
    w = analytics_world
    await hold_lesson(client, w)
    admin = await sign_in(NORTH_ADMIN)
    shown = await admin.get(R + "/teaching-quality")
    assert shown.status_code == 200 and "<svg" in shown.text
    body = shown.text.split('id="quality-report"', 1)[1]
    assert "<td>1</td><td>2.0</td><td>1</td>" in body  # 1 lesson, 2 minutes late, courseware
    teacher = await sign_in(TEACHER)
    own = await teacher.get(R + "/teaching-quality")
    assert own.status_code == 200 and own.text.count('<th scope="row">') == 1
    student = await sign_in(STUDENT)
    assert (await student.get(R + "/courses")).status_code == 403
    south = await sign_in(SOUTH_ADMIN)
    assert (await south.get(R + "/courses")).status_code == 404
