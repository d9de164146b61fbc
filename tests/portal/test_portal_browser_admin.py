"""Browser journeys of #15's admin and student pages (Debian's Chromium through
Playwright): register one person with an error shown beside its field, export, support
grants, rights requests, audit log, reports, recordings; axe-core finds no serious or
critical violation on any page visited; screenshots under var/test-screens/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.async_api import expect

from app.core import clock
from tests.analytics.conftest import hold_lesson
from tests.classroom.conftest import NORTH_ADMIN, STUDENT
from tests.factories import mp4

pytestmark = pytest.mark.slow


async def test_admin_registers_a_person_exports_and_oversees_then_reads_it_in_english(
    visitor, client, analytics_world
):
    await hold_lesson(client, analytics_world)
    v = visitor
    clock.advance(61)  # the world fixture asked a code for the admin's number moments ago
    await v.sign_in(NORTH_ADMIN)
    await v.go("/portal/s/demo-north/", "school")
    await v.page.get_by_role("link", name="登记一个人").click()
    await v.see("register")
    await v.page.get_by_label("手机号码", exact=True).fill("13800001061")
    await v.page.get_by_label("姓名").fill("小华")
    await v.page.get_by_label("年龄段").select_option("under14")
    await v.page.get_by_label("同意人").select_option("guardian")
    await v.page.get_by_label("同意方式").select_option("paper_form")
    await v.page.get_by_role("button", name="登记", exact=True).click()
    await v.see("register-refused")
    await expect(v.page.locator("#guardian_phone-error")).to_have_text(
        "未满 14 岁的学生需要监护人的手机号"
    )
    await expect(v.page.get_by_label("姓名")).to_have_value("小华")
    await v.page.get_by_label(re.compile("监护人手机号")).fill("13800001062")
    await v.page.get_by_role("button", name="登记", exact=True).click()
    await v.see("registered")
    await expect(v.page.locator("#registered")).to_be_visible()
    await v.go("/portal/s/demo-north/admin/members?q=小华", "members-found")
    await expect(v.page.locator("#members")).to_contain_text("小华")
    await v.go("/portal/s/demo-north/admin/export", "export")
    async with v.page.expect_download() as info:
        await v.page.locator("#export-csv").click()
    assert "小华" in (await (await info.value).path()).read_text(encoding="utf-8")
    await v.go("/portal/s/demo-north/admin/support-grants", "support-grants")
    await v.page.get_by_label("员工手机号").fill("13800001061")
    await v.page.get_by_label("成员").check()
    await v.page.get_by_label("目的").select_option("technical_support")
    until = (clock.now() + timedelta(days=1, hours=8)).strftime("%Y-%m-%dT%H:%M")
    await v.page.get_by_label("到期时间（北京时间）").fill(until)
    await v.page.get_by_label("理由").fill("ticket 1")
    await v.page.get_by_role("button", name="授予授权").click()
    await v.see("support-grant-refused")
    await expect(v.page.locator("#staff_phone-error")).to_have_text("不是平台员工账号")
    await v.go("/portal/s/demo-north/admin/requests", "rights-requests")
    await v.go("/portal/s/demo-north/admin/reports/courses", "course-report")
    await expect(v.page.locator("#course-report")).to_contain_text("66.7%")
    await v.go("/portal/s/demo-north/admin/reports/teaching-quality", "quality-report")
    await v.go("/portal/s/demo-north/admin/audit?kind=member", "audit-members")
    await expect(v.page.locator("#audit")).to_contain_text("成员")
    await v.page.get_by_role("link", name="English").click()
    await v.see("audit-en")
    await expect(v.page.get_by_role("heading", level=1)).to_contain_text("Audit log")
    await expect(v.page.locator("html")).to_have_attribute("lang", "en")
    await v.go("/portal/s/demo-north/admin/members/new", "register-en")
    await v.page.get_by_label("Mobile phone number", exact=True).fill("12")
    await v.page.get_by_role("button", name="Register", exact=True).click()
    await v.see("register-refused-en")
    await expect(v.page.locator("#phone-error")).to_contain_text("phone number")


async def test_a_student_plays_a_granted_recording_and_reads_the_timetable(
    visitor, client, login, analytics_world
):
    w = analytics_world
    await hold_lesson(client, w)
    admin = await login(NORTH_ADMIN)
    made = await client.post(
        f"/v1/tenants/demo-north/lessons/{w.lesson}/recordings",
        headers=admin,
        files={"file": ("r.mp4", mp4(b"video"), "video/mp4")},
        data={"notice_shown": "true"},
    )
    rec = made.json()["id"]
    expires = (clock.now() + timedelta(days=1)).isoformat()
    grant = await client.post(
        f"/v1/tenants/demo-north/recordings/{rec}/grants",
        json={"phone": STUDENT, "expires_at": expires},
        headers=admin,
    )
    assert grant.status_code == 201, grant.text
    v = visitor
    clock.advance(61)  # login() asked a code for the admin's number a moment ago
    await v.sign_in(NORTH_ADMIN)
    await v.go(f"/portal/s/demo-north/recordings/{rec}/grants", "recording-grants")
    await expect(v.page.locator("#recording-grants")).to_contain_text("student 0201")
    await v.page.get_by_role("button", name=re.compile("退出登录")).click()
    clock.advance(61)
    await v.sign_in(STUDENT)
    await v.go("/portal/me/timetable", "timetable")
    await v.go("/portal/me/", "record-with-recording")
    await v.page.locator("#recordings a").first.click()
    await v.see("recording-played")
    await expect(v.page.locator("#player")).to_have_attribute("src", re.compile("^/v1/files/"))


async def test_a_large_import_is_followed_on_its_page_until_it_is_applied(
    visitor, owner, schools, tmp_path, monkeypatch
):
    from app.jobs.wiring import drain
    from tests.portal.test_portal_admin import GOOD

    monkeypatch.setenv("ROSTRA_PORTAL_IMPORT_INLINE_BYTES", "16")  # every file is "large"
    v = visitor
    await v.sign_in(NORTH_ADMIN)
    await v.go("/portal/s/demo-north/admin/import", "import")
    good = tmp_path / "roster.csv"
    good.write_text(GOOD, encoding="utf-8")
    await v.page.get_by_label(re.compile("名册文件")).set_input_files(str(good))
    await v.page.get_by_role("button", name="检查文件（试运行）").click()
    await v.page.locator("#apply").click()
    await v.page.wait_for_url(re.compile(r"/admin/import/runs/"))
    await v.see("import-run-queued")
    await expect(v.page.locator("#run-status")).to_contain_text(
        re.compile("排队中|正在导入|导入完成")
    )
    await drain(owner)
    await expect(v.page.locator("#run-status")).to_have_text("导入完成", timeout=15000)
    await v.see("import-run-done")  # htmx polled the page to its end
    await expect(v.page.locator("#plan")).to_contain_text("人员")
