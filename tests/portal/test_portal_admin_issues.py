"""The school admin's open roster items (MIN-7/8): a minor reported without guardian consent
shows up there and is decided on the page as the API decides it; another school's admin
gets the 404 page, a teacher the 403 page."""

from __future__ import annotations

from tests.classroom.conftest import GUARDIAN, NORTH_ADMIN, SOUTH_ADMIN, STUDENT, TEACHER
from tests.portal.conftest import csrf_of
from tests.portal.test_portal_teacher import row_of

PAGE = "/portal/s/demo-north/admin/issues"


async def test_the_school_decides_a_minor_reported_without_consent_on_its_page(
    client, login, sign_in, world
):
    """MIN-8."""
    student = world.user(STUDENT)
    filed = await client.post(
        f"/v1/me/reports/minor-consent?student={student}",
        json={"school": "demo-north", "note": "no form signed"},
        headers=await login(GUARDIAN),
    )
    assert filed.status_code == 201, filed.text
    item = filed.json()["id"]
    admin = await sign_in(NORTH_ADMIN)
    school = await admin.get("/portal/s/demo-north/")
    assert f'href="{PAGE}"' in school.text
    shown = await admin.get(PAGE)
    assert shown.status_code == 200
    row = row_of(shown.text, "issues", "no form signed")
    assert row[1] == "未成年人未经监护人同意"
    token = csrf_of(shown.text)
    decide = f"{PAGE}/{item}/minor-consent"
    bad = await admin.post(decide, data={"csrf": token, "consent": "maybe"})
    assert bad.status_code == 422 and f'id="{item}-consent-error"' in bad.text

    south = await sign_in(SOUTH_ADMIN)
    assert (await south.get(PAGE)).status_code == 404
    cross = await south.post(
        f"/portal/s/demo-south/admin/issues/{item}/minor-consent",
        data={"csrf": csrf_of((await south.get("/portal/s/demo-south/admin/issues")).text),
              "consent": "absent"},
    )  # fmt: skip
    assert cross.status_code == 404
    teacher = await sign_in(TEACHER)
    assert (await teacher.get(PAGE)).status_code == 403

    done = await admin.post(decide, data={"csrf": token, "consent": "absent", "note": "none"})
    assert done.status_code == 303
    assert "没有待处理的事项" in (await admin.get(PAGE)).text
    api = await client.get(
        "/v1/tenants/demo-north/roster/issues?status=resolved",
        headers=await login(NORTH_ADMIN),
    )
    settled = next(i for i in api.json()["items"] if i["id"] == item)
    assert settled["outcome"] == "absent" and settled["rights_request_id"]
