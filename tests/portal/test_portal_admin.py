"""The school admin's pages (#15): the roster with search, filters and paging; the bulk
import with its dry run, row errors (nothing written) and apply."""

from __future__ import annotations

from tests.classroom.conftest import NORTH_ADMIN, SOUTH_ADMIN, TEACHER
from tests.factories import add_member
from tests.portal.conftest import csrf_of
from tests.portal.test_portal_teacher import row_of

GOOD = (
    "phone,name,role,course_code,age_band,guardian_phone\n"
    "13800001031,王老师,teacher,,,\n"
    "13800001034,大明,student,,adult,\n"
)
BAD = GOOD + "12,坏行,student,,adult,\n"


async def _upload(browser, token, data: bytes, step: str = "dry_run", held: str = ""):
    files = {"file": ("roster.csv", data, "text/csv")} if data else {"file": ("", b"", "text/csv")}
    return await browser.post(
        "/portal/s/demo-north/admin/import",
        data={"csrf": token, "step": step, "held": held},
        files=files,
    )


async def test_import_shows_row_errors_and_writes_nothing_then_applies(sign_in, schools):
    """ROS import: a bad row is shown with its line; fixed, the dry run's plan is applied."""
    admin = await sign_in(NORTH_ADMIN)
    form = await admin.get("/portal/s/demo-north/admin/import")
    assert form.status_code == 200
    token = csrf_of(form.text)
    bad = await _upload(admin, token, BAD.encode())
    assert bad.status_code == 422
    assert row_of(bad.text, "errors", "roster.csv")[1] == "4"
    assert 'id="apply"' not in bad.text
    members = await admin.get("/portal/s/demo-north/admin/members?q=大明")
    assert "没有匹配的成员" in members.text  # nothing was written
    dry = await _upload(admin, token, GOOD.encode())
    assert dry.status_code == 200
    assert row_of(dry.text, "plan", "人员")[1] == "2"
    held = dry.text.split('name="held" value="', 1)[1].split('"', 1)[0]
    applied = await _upload(admin, token, b"", step="apply", held=held)
    assert applied.status_code == 200 and 'id="applied"' in applied.text
    found = await admin.get("/portal/s/demo-north/admin/members?q=大明")
    assert row_of(found.text, "members", "大明")[2] == "学生"


async def test_members_search_by_name_full_phone_role_status_and_paging(owner, sign_in, schools):
    north = schools["demo-north"]
    for n in range(55):
        await add_member(owner, north, f"+86138000{n + 10000:05d}", "student", name=f"学生{n:02d}")
    await add_member(owner, north, TEACHER, "teacher", name="张老师")
    admin = await sign_in(NORTH_ADMIN)
    by_name = await admin.get("/portal/s/demo-north/admin/members?q=张老")
    assert "张老师" in by_name.text and "学生01" not in by_name.text
    by_phone = await admin.get("/portal/s/demo-north/admin/members", params={"q": "13800000101"})
    assert "张老师" in by_phone.text and by_phone.text.count("<tr>") == 2
    part_phone = await admin.get("/portal/s/demo-north/admin/members", params={"q": "0000101"})
    assert "张老师" not in part_phone.text  # only a full number finds a person
    teachers = await admin.get("/portal/s/demo-north/admin/members?role=teacher")
    assert "张老师" in teachers.text and "学生01" not in teachers.text
    inactive = await admin.get("/portal/s/demo-north/admin/members?status=inactive")
    assert "没有匹配的成员" in inactive.text
    first = await admin.get("/portal/s/demo-north/admin/members?role=student")
    assert first.text.count("<tr>") == 51  # header + 50
    next_link = first.text.split("cursor=", 1)[1].split('"', 1)[0]
    second = await admin.get(f"/portal/s/demo-north/admin/members?role=student&cursor={next_link}")
    assert second.text.count("<tr>") == 6 and "下一页" not in second.text
    partial = await admin.get(
        "/portal/s/demo-north/admin/members?q=张老", headers={"hx-request": "true"}
    )
    assert "<html" not in partial.text and "张老师" in partial.text


async def test_a_teacher_or_another_schools_admin_gets_no_roster(sign_in, schools, owner):
    await add_member(owner, schools["demo-north"], TEACHER, "teacher", name="张老师")
    teacher = await sign_in(TEACHER)
    assert (await teacher.get("/portal/s/demo-north/admin/import")).status_code == 403
    south = await sign_in(SOUTH_ADMIN)
    page = await south.get("/portal/s/demo-north/admin/members")
    assert page.status_code == 404 and "页面不存在" in page.text


async def test_admin_creates_a_course_schedules_a_lesson_and_enrols_by_phone(
    owner, sign_in, schools
):
    """ROS: the forms call the roster services; a refused batch enrols nobody."""
    north = schools["demo-north"]
    await add_member(owner, north, TEACHER, "teacher", name="张老师")
    await add_member(owner, north, "+8613800000201", "student", name="学生甲")
    await add_member(owner, north, "+8613800000202", "student", name="学生乙")
    admin = await sign_in(NORTH_ADMIN)
    page = await admin.get("/portal/s/demo-north/admin/courses")
    token = csrf_of(page.text)
    bad = await admin.post(
        "/portal/s/demo-north/admin/courses",
        data={"csrf": token, "code": "M7", "name": "数学", "starts_on": "2027-02-01",
              "ends_on": "2026-09-01"},
    )  # fmt: skip
    assert bad.status_code == 422 and 'id="ends_on-error"' in bad.text
    assert "课程的结课日期早于开课日期" in bad.text  # the refusal in the person's language
    made = await admin.post(
        "/portal/s/demo-north/admin/courses",
        data={"csrf": token, "code": "M7", "name": "数学", "starts_on": "2026-09-01",
              "ends_on": "2027-01-31"},
    )  # fmt: skip
    assert made.status_code == 303
    listed = await admin.get("/portal/s/demo-north/admin/courses")
    course_id = listed.text.split("/admin/courses/", 1)[1].split('"', 1)[0]
    url = f"/portal/s/demo-north/admin/courses/{course_id}"
    lesson = await admin.post(
        url + "/lessons",
        data={"csrf": token, "title": "第一课", "starts_at": "2026-12-10T09:00",
              "duration_minutes": "45", "teacher_phone": "13800000101"},
    )  # fmt: skip
    assert lesson.status_code == 303, lesson.text
    assert row_of((await admin.get(url)).text, "lessons", "第一课")[1] == "2026-12-10 01:00 UTC"
    refused = await admin.post(
        url + "/enrollments", data={"csrf": token, "phones": "13800000201\n12", "role": "student"}
    )
    assert refused.status_code == 422 and 'id="phones-error"' in refused.text
    enrolled = await admin.post(
        url + "/enrollments",
        data={"csrf": token, "phones": "13800000201\n13800000202", "role": "student"},
    )
    assert enrolled.status_code == 200 and "已选课：2" in enrolled.text


async def test_an_api_key_is_shown_once_and_works_for_ingestion(client, sign_in, schools):
    """AUZ: the key the page shows authenticates the classroom service; the list never shows it."""
    admin = await sign_in(NORTH_ADMIN)
    page = await admin.get("/portal/s/demo-north/admin/api-keys")
    made = await admin.post(
        "/portal/s/demo-north/admin/api-keys", data={"csrf": csrf_of(page.text), "name": "班级"}
    )
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    key = made.text.split('<code id="new-key">', 1)[1].split("<", 1)[0]
    again = await admin.get("/portal/s/demo-north/admin/api-keys")
    assert key not in again.text and "班级" in again.text
    ingest = await client.post(
        "/v1/ingest/events", json={"events": []}, headers={"Authorization": f"Bearer {key}"}
    )
    assert ingest.status_code != 401
