"""Journeys of #15 in a real browser (Debian's Chromium through Playwright); axe-core finds
no serious or critical violation on any page visited; screenshots in var/test-screens/."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from app.core import clock
from app.core.db import set_tenant
from app.jobs.wiring import drain
from app.roster.models import Guardianship
from tests.analytics.conftest import hold_lesson
from tests.classroom.conftest import CLASSMATE, GUARDIAN, NORTH_ADMIN, SOUTH_ADMIN, STUDENT, TEACHER
from tests.portal.test_portal_admin import BAD, GOOD

pytestmark = pytest.mark.slow


async def test_admin_imports_a_roster_with_a_bad_row_then_fixes_it(visitor, schools, tmp_path):
    v = visitor
    await v.sign_in(NORTH_ADMIN)
    await v.go("/portal/s/demo-north/", "school")
    await v.page.get_by_role("link", name="批量导入").click()
    await v.see("import")
    bad, good = tmp_path / "bad" / "roster.csv", tmp_path / "good" / "roster.csv"
    for path, text in ((bad, BAD), (good, GOOD)):
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
    await v.page.get_by_label(re.compile("名册文件")).set_input_files(str(bad))
    await v.page.get_by_role("button", name="检查文件（试运行）").click()
    await v.see("import-row-errors")
    await expect(v.page.locator("#errors")).to_contain_text("roster.csv")
    await expect(v.page.locator("#apply")).to_have_count(0)
    await v.page.get_by_label(re.compile("名册文件")).set_input_files(str(good))
    await v.page.get_by_role("button", name="检查文件（试运行）").click()
    await v.see("import-dry-run")
    await v.page.locator("#apply").click()
    await v.see("import-applied")
    await expect(v.page.locator("#applied")).to_be_visible()
    await v.go("/portal/s/demo-north/admin/members?q=大明", "members-search")
    await expect(v.page.locator("#members")).to_contain_text("大明")
    await v.go("/portal/s/demo-north/admin/courses", "courses")
    await v.page.get_by_label("代码").fill("M7")
    await v.page.get_by_label("课程", exact=True).fill("数学")
    await v.page.get_by_label("开课日期").fill("2026-09-01")
    await v.page.get_by_label("结课日期").fill("2027-01-31")
    await v.page.get_by_role("button", name="创建课程").click()
    await v.page.get_by_role("link", name="数学").click()
    await v.see("course-admin")
    await v.page.get_by_label("标题").fill("第一课")
    await v.page.get_by_label("开始时间（北京时间）").fill("2026-12-10T09:00")
    await v.page.get_by_label("分钟").fill("45")
    await v.page.get_by_label("教师手机号").fill("13800001031")
    await v.page.get_by_role("button", name="安排课节").click()
    await v.see("lesson-scheduled")
    await expect(v.page.locator("#lessons")).to_contain_text("第一课")
    await v.page.get_by_label("手机号，每行一个").fill("13800001034")
    await v.page.get_by_role("button", name="选课", exact=True).click()
    await v.see("enrolled")
    await expect(v.page.locator("#enrolled")).to_contain_text("1")


async def test_teacher_sees_the_ingested_lesson_with_the_right_numbers(
    visitor, client, analytics_world
):
    w = analytics_world
    await hold_lesson(client, w)  # classroom events through POST /v1/ingest/events
    v = visitor
    await v.sign_in(TEACHER)
    await v.go("/portal/s/demo-north/teach/", "my-courses")
    await v.page.get_by_role("link", name="Course A").click()
    await v.see("course")
    await expect(v.page.locator("svg").first).to_be_visible()
    await v.page.get_by_role("link", name="A lesson 1").first.click()
    await v.see("lesson")
    row = v.page.locator("#lesson-table tr", has_text="student 0201")
    await expect(row).to_contain_text("55.0")
    await expect(row).to_contain_text("79.8")
    line = v.page.locator("#timeline-table tr", has_text="student 0201")
    await expect(line.locator("td").nth(1)).to_have_text("55.0")  # online minutes


async def test_student_sees_own_record_withdraws_consent_and_downloads_export(
    visitor, client, owner, analytics_world
):
    w = analytics_world
    await hold_lesson(client, w)
    v = visitor
    await v.sign_in(STUDENT)
    await v.go("/portal/me/", "learning-record")
    await expect(v.page.locator("#record-table")).to_contain_text("79.8")
    await expect(v.page.locator("#record-table")).not_to_contain_text("9.0")
    await v.go(f"/portal/me/?student={w.user(CLASSMATE)}", "classmate-404")
    await expect(v.page.get_by_role("heading", name="页面不存在")).to_be_visible()
    await v.go("/portal/me/consents", "consents")
    await v.page.get_by_role("button", name="撤回: 摄像头").first.click()
    await v.see("consent-withdrawn")
    await expect(v.page.get_by_role("button", name="同意: 摄像头").first).to_be_visible()
    await v.go("/portal/me/requests", "requests")
    await v.page.get_by_label("申请").select_option("access")
    await v.page.get_by_role("button", name="提交申请").click()
    await v.see("request-filed")
    await drain(owner)
    async with v.page.expect_download() as info:
        await v.page.get_by_role("link", name="下载我的数据").click()
    download = await info.value
    assert (await download.path()).read_bytes()[:2] == b"PK"


async def test_guardian_switches_children_in_english_and_another_school_is_404(
    visitor, client, owner, analytics_world
):
    w = analytics_world
    await hold_lesson(client, w)
    async with owner.db.session() as session:
        await set_tenant(session, w.north.id)
        session.add(
            Guardianship(
                tenant_id=w.north.id, guardian_id=w.people[GUARDIAN], student_id=w.people[CLASSMATE]
            )
        )
    v = visitor
    await v.sign_in(GUARDIAN)
    await v.page.get_by_role("link", name="English").click()
    await v.go(f"/portal/me/?student={w.user(STUDENT)}", "child-one-en")
    await expect(v.page.get_by_role("heading", level=1)).to_contain_text("student 0201")
    await expect(v.page.locator("html")).to_have_attribute("lang", "en")
    await v.page.get_by_label("Child").select_option(w.user(CLASSMATE))
    await v.page.get_by_role("button", name="Switch").click()
    await v.see("child-two-en")
    await expect(v.page.get_by_role("heading", level=1)).to_contain_text("student 0202")
    await expect(v.page.locator("#record-table")).to_contain_text("9.0")
    await v.page.get_by_role("button", name="Sign out").click()
    await v.see("signed-out")
    clock.advance(61)  # the world fixture asked a code for this number moments ago
    await v.sign_in(SOUTH_ADMIN)
    await v.go("/portal/s/demo-north/", "foreign-school-404")
    await expect(v.page.get_by_role("heading", level=1)).to_have_text("Page not found")
