"""The guardian (or the minor) reports in the portal that a minor uses a school's service
without guardian consent (MIN-7): the same report as the API, the service stops at once."""

from __future__ import annotations

from tests.classroom.conftest import CLASSMATE, GUARDIAN, NORTH_ADMIN, STUDENT
from tests.portal.conftest import csrf_of

PAGE = "/portal/me/minor-consent"


async def test_the_guardian_reports_for_the_child_and_the_school_sees_the_item(
    client, login, sign_in, world
):
    """MIN-7."""
    child = world.user(STUDENT)
    guardian = await sign_in(GUARDIAN)
    form = await guardian.get(f"{PAGE}?student={child}")
    assert form.status_code == 200 and 'value="demo-north"' in form.text
    token = csrf_of(form.text)
    wrong = await guardian.post(
        f"{PAGE}?student={child}", data={"csrf": token, "school": "demo-south"}
    )
    assert wrong.status_code == 422 and 'id="school-error"' in wrong.text
    done = await guardian.post(
        f"{PAGE}?student={child}", data={"csrf": token, "school": "demo-north", "note": "x"}
    )
    assert done.status_code == 200 and 'id="reported"' in done.text
    assert "已暂停" in done.text  # the school is shown suspended
    items = await client.get(
        "/v1/tenants/demo-north/roster/issues", headers=await login(NORTH_ADMIN)
    )
    assert [(i["kind"], i["account_id"]) for i in items.json()["items"]] == [
        ("minor_without_consent", child)
    ]
    # Another guardian's child is not this guardian's to report.
    other = await guardian.post(
        f"{PAGE}?student={world.user(CLASSMATE)}", data={"csrf": token, "school": "demo-north"}
    )
    assert other.status_code == 404
