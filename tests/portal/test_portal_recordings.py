"""Recordings in the portal (#15, AUZ-5, VIS-2): the school admin grants one student a
recording until a time; the student plays it in the page from a signed link; a classmate
without the grant sees none; revoked, the student's page is the 404 page."""

from __future__ import annotations

from datetime import timedelta

from app.core import clock
from tests.analytics.conftest import hold_lesson
from tests.classroom.conftest import CLASSMATE, NORTH_ADMIN, SOUTH_ADMIN, STUDENT, TEACHER
from tests.factories import mp4
from tests.portal.conftest import csrf_of
from tests.portal.test_portal_teacher import row_of


async def _recording(client, login, w) -> str:
    made = await client.post(
        f"/v1/tenants/demo-north/lessons/{w.lesson}/recordings",
        headers=await login(NORTH_ADMIN),
        files={"file": ("r.mp4", mp4(b"video"), "video/mp4")},
        data={"notice_shown": "true"},
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _until(days: int) -> str:
    return (clock.now() + timedelta(days=days, hours=8)).strftime("%Y-%m-%dT%H:%M")


async def test_a_granted_student_plays_the_recording_and_a_classmate_sees_none(
    client, login, sign_in, analytics_world
):
    w = analytics_world
    await hold_lesson(client, w)
    rec = await _recording(client, login, w)
    admin = await sign_in(NORTH_ADMIN)
    lesson = await admin.get(f"/portal/s/demo-north/teach/lessons/{w.lesson}")
    assert f"/recordings/{rec}/grants" in lesson.text
    grants = f"/portal/s/demo-north/recordings/{rec}/grants"
    form = await admin.get(grants)
    assert form.status_code == 200 and "没有授权" in form.text
    token = csrf_of(form.text)
    past = await admin.post(
        grants, data={"csrf": token, "phone": STUDENT, "expires_at": "2020-01-01T09:00"}
    )
    assert past.status_code == 422 and 'id="expires_at-error"' in past.text
    assert "必须是将来的时间" in past.text
    stranger = await admin.post(
        grants, data={"csrf": token, "phone": "13000000009", "expires_at": _until(1)}
    )
    assert 'id="phone-error"' in stranger.text and "不是本校成员" in stranger.text
    done = await admin.post(grants, data={"csrf": token, "phone": STUDENT, "expires_at": _until(1)})
    assert done.status_code == 303, done.text
    listed = await admin.get(grants)
    assert row_of(listed.text, "recording-grants", "student 0201")[2] == "有效"

    student = await sign_in(STUDENT)
    record = await student.get("/portal/me/")
    link = record.text.split('id="recordings"', 1)[1].split('href="', 1)[1].split('"', 1)[0]
    played = await student.get(link.replace("&amp;", "&"))
    assert played.status_code == 200 and 'id="player"' in played.text
    url = played.text.split('<video controls preload="metadata" src="', 1)[1].split('"', 1)[0]
    video = await student.get(url)
    assert video.status_code == 200 and video.content.endswith(b"video")
    classmate = await sign_in(CLASSMATE)
    theirs = await classmate.get("/portal/me/")
    assert 'id="recordings"' not in theirs.text
    assert (await classmate.get(f"/portal/me/recordings/{rec}")).status_code == 404

    grant_id = (
        await client.get(
            f"/v1/tenants/demo-north/recordings/{rec}/grants", headers=await login(NORTH_ADMIN)
        )
    ).json()["items"][0]["id"]
    revoked = await admin.post(f"{grants}/{grant_id}/revoke", data={"csrf": token})
    assert revoked.status_code == 303
    assert (await student.get(f"/portal/me/recordings/{rec}")).status_code == 404


async def test_a_teacher_or_another_schools_admin_may_not_grant(client, login, sign_in, world):
    rec = await _recording(client, login, world)
    grants = f"/portal/s/demo-north/recordings/{rec}/grants"
    teacher = await sign_in(TEACHER)
    lesson = await teacher.get(f"/portal/s/demo-north/teach/lessons/{world.lesson}")
    assert f'href="/portal/s/demo-north/recordings/{rec}"' in lesson.text  # theirs to watch
    assert f"/recordings/{rec}/grants" not in lesson.text
    watched = await teacher.get(f"/portal/s/demo-north/recordings/{rec}")
    assert watched.status_code == 200 and 'src="/v1/files/' in watched.text
    assert (await teacher.get(grants)).status_code == 403
    south = await sign_in(SOUTH_ADMIN)
    assert (await south.get(grants)).status_code == 404
