"""The student's and guardian's pages (#15): own record only, consents, requests with the
export download, who read my data, a guardian switching between children."""

from __future__ import annotations

from app.core.db import set_tenant
from app.jobs.wiring import drain
from app.roster.models import Guardianship
from tests.analytics.conftest import hold_lesson
from tests.classroom.conftest import CLASSMATE, GUARDIAN, STUDENT
from tests.portal.conftest import csrf_of
from tests.portal.test_portal_teacher import row_of


async def test_the_student_sees_their_own_record_and_not_a_classmates(
    client, sign_in, analytics_world
):
    """VIS-1: the learning record page shows my figures; a classmate's is the 404 page."""
    w = analytics_world
    await hold_lesson(client, w)
    student = await sign_in(STUDENT)
    mine = await student.get("/portal/me/")
    assert mine.status_code == 200
    assert "student 0201" in mine.text and "<svg" in mine.text
    held = row_of(mine.text, "record-table", "A lesson 1")
    assert held[2:4] == ["出勤", "55.0"] and held[-1] == "79.8"
    assert "9.0" not in mine.text.split('id="record-table"', 1)[1]
    other = await student.get(f"/portal/me/?student={w.user(CLASSMATE)}")
    assert other.status_code == 404


async def test_the_student_withdraws_and_grants_a_consent(client, login, sign_in, world):
    """PRV consent: the page's withdraw is the API's withdraw (seen through /v1/me/consents)."""
    student = await sign_in(STUDENT)
    page = await student.get("/portal/me/consents")
    assert page.status_code == 200 and "摄像头" in page.text
    token = csrf_of(page.text)
    done = await student.post(
        "/portal/me/consents/camera/withdraw", data={"csrf": token, "school": "demo-north"}
    )
    assert done.status_code == 303
    api = await client.get("/v1/me/consents", headers=await login(STUDENT))
    camera = [c for c in api.json()["items"] if c["category"] == "camera"]
    assert camera and camera[0]["granted"] is False
    assert "已撤回" in (await student.get("/portal/me/consents")).text
    back = await student.post(
        "/portal/me/consents/camera/grant", data={"csrf": token, "school": "demo-north"}
    )
    assert back.status_code == 303
    refused = await student.post(
        "/portal/me/consents/camera/withdraw", data={"school": "demo-north"}
    )
    assert refused.status_code == 403  # no CSRF token


async def test_the_student_requests_an_export_and_downloads_it(app, sign_in, world):
    """RGT-1/2: the access request's status and due date, then the zip."""
    student = await sign_in(STUDENT)
    page = await student.get("/portal/me/requests")
    token = csrf_of(page.text)
    filed = await student.post("/portal/me/requests", data={"csrf": token, "type": "access"})
    assert filed.status_code == 303
    listed = await student.get("/portal/me/requests")
    assert "查阅并导出我的数据" in listed.text
    row = row_of(listed.text, "requests", "查阅并导出我的数据")
    assert row[3][:4].isdigit()  # the due date
    link = listed.text.split('href="/portal/me/requests/', 1)[1].split('"', 1)[0]
    await drain(app.state.ctx)
    download = await student.get(f"/portal/me/requests/{link}")
    assert download.status_code == 200, download.text
    assert download.headers["content-type"] == "application/zip"


async def test_a_refused_request_is_shown_next_to_its_field(sign_in, world):
    student = await sign_in(STUDENT)
    token = csrf_of((await student.get("/portal/me/requests")).text)
    refused = await student.post("/portal/me/requests", data={"csrf": token, "type": "deletion"})
    assert refused.status_code == 422
    assert 'class="error"' in refused.text


async def test_who_read_my_data(client, sign_in, analytics_world):
    """AUD: the person sees the reads of their data (/v1/me/audit)."""
    await hold_lesson(client, analytics_world)
    student = await sign_in(STUDENT)
    await student.get("/portal/me/")
    audit = await student.get("/portal/me/audit")
    assert audit.status_code == 200 and "learning_record" in audit.text


async def test_a_guardian_switches_between_two_children(owner, client, sign_in, analytics_world):
    w = analytics_world
    await hold_lesson(client, w)
    async with owner.db.session() as session:
        await set_tenant(session, w.north.id)
        session.add(
            Guardianship(
                tenant_id=w.north.id, guardian_id=w.people[GUARDIAN], student_id=w.people[CLASSMATE]
            )
        )
    guardian = await sign_in(GUARDIAN)
    first = await guardian.get(f"/portal/me/?student={w.user(STUDENT)}")
    assert first.status_code == 200 and "学习记录: student 0201" in first.text
    assert row_of(first.text, "record-table", "A lesson 1")[-1] == "79.8"
    second = await guardian.get(f"/portal/me/?student={w.user(CLASSMATE)}")
    assert second.status_code == 200 and "学习记录: student 0202" in second.text
    assert row_of(second.text, "record-table", "A lesson 1")[-1] == "9.0"
    assert second.text.count('<option value="') == 2


async def test_my_timetable_lists_the_lessons_to_come_as_the_api_does(
    client, login, owner, sign_in, analytics_world
):
    """The timetable page shows GET /v1/me/learning-record's timetable, in school time."""
    from tests.analytics.conftest import add_lessons

    w = analytics_world
    await hold_lesson(client, w)
    await add_lessons(owner, w, [400])
    api = await client.get("/v1/me/learning-record", headers=await login(STUDENT))
    [coming] = api.json()["timetable"]
    student = await sign_in(STUDENT)
    page = await student.get("/portal/me/timetable")
    assert page.status_code == 200
    assert row_of(page.text, "timetable", coming["title"])[1] == coming["local_start"]
    assert "A lesson 1" not in page.text.split('id="timetable"', 1)[1]  # held, not to come


async def test_a_guardian_reaches_only_their_children_on_every_page(
    client, sign_in, analytics_world
):
    """AUZ `children` scope: the picker lists only my children, and another student named
    in ?student= is the 404 page on each of my pages."""
    w = analytics_world
    await hold_lesson(client, w)
    guardian = await sign_in(GUARDIAN)
    mine = await guardian.get("/portal/me/timetable")
    assert mine.status_code == 200 and mine.text.count('<option value="') == 1
    for path in (
        "/portal/me/",
        "/portal/me/timetable",
        "/portal/me/consents",
        "/portal/me/requests",
    ):
        other = await guardian.get(path, params={"student": w.user(CLASSMATE)})
        assert other.status_code == 404, path
