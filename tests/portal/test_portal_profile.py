"""My profile page (ACC-3, RGT-3): the student and the teacher set a nickname and an
avatar through the same service as /v1/me/profile; the school's record is shown, with the
way to have it corrected."""

from __future__ import annotations

from tests.classroom.conftest import STUDENT, TEACHER
from tests.factories import jpeg
from tests.portal.conftest import csrf_of

PAGE = "/portal/me/profile"


async def test_the_student_sets_a_nickname_and_an_avatar_the_api_then_shows(
    client, login, sign_in, world
):
    """ACC-3, RGT-3."""
    student = await sign_in(STUDENT)
    shown = await student.get(PAGE)
    assert shown.status_code == 200
    assert "未设置头像" in shown.text and "更正申请" in shown.text
    assert 'href="/portal/me/requests"' in shown.text
    token = csrf_of(shown.text)
    too_long = await student.post(PAGE, data={"csrf": token, "nickname": "长" * 41})
    assert too_long.status_code == 422 and 'id="nickname-error"' in too_long.text
    named = await student.post(PAGE, data={"csrf": token, "nickname": "小星"})
    assert named.status_code == 303
    api = await client.get("/v1/me/profile", headers=await login(STUDENT))
    assert api.json()["nickname"] == "小星"

    avatar = f"{PAGE}/avatar"
    script = await student.post(
        avatar, data={"csrf": token}, files={"file": ("x.png", b"<script>", "image/png")}
    )
    assert script.status_code == 422 and 'id="file-error"' in script.text
    assert "不是 JPEG、PNG 或 WebP 图片" in script.text
    image = jpeg(b"3" * 64)
    put = await student.post(
        avatar, data={"csrf": token}, files={"file": ("me.jpg", image, "image/jpeg")}
    )
    assert put.status_code == 303
    page = await student.get(PAGE)
    assert 'id="avatar"' in page.text and 'value="小星"' in page.text
    served = await student.get(avatar)
    assert served.status_code == 200 and served.content == image
    assert (await client.get("/v1/me/profile/avatar", headers=await login(STUDENT))).content == (
        image
    )
    removed = await student.post(f"{avatar}/remove", data={"csrf": token})
    assert removed.status_code == 303
    assert (await student.get(avatar)).status_code == 404
    no_csrf = await student.post(PAGE, data={"nickname": "x"})
    assert no_csrf.status_code == 403


async def test_the_teacher_reaches_the_profile_from_every_page(client, login, sign_in, world):
    """ACC-3: the header links to My profile for anyone signed in, a teacher among them."""
    teacher = await sign_in(TEACHER, "en")
    home = await teacher.get("/portal/")
    assert f'href="{PAGE}"' in home.text
    shown = await teacher.get(PAGE)
    assert shown.status_code == 200 and "No avatar." in shown.text
    done = await teacher.post(PAGE, data={"csrf": csrf_of(shown.text), "nickname": "Ms Li"})
    assert done.status_code == 303
    assert "Ms Li" in (await teacher.get("/portal/")).text  # the header greets by nickname
