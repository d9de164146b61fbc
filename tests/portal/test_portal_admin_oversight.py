"""The school admin's oversight pages (#15): support grants (AUZ-8), rights requests routed
to the school with their due dates (RGT-5, RGT-18..20), the audit log with filters. Each
shows what the API shows the same admin; another school's admin gets the 404 page."""

from __future__ import annotations

from datetime import timedelta

from app.core import clock
from tests.portal.conftest import csrf_of
from tests.portal.test_portal_teacher import row_of
from tests.privacy.conftest import people
from tests.privacy.people import NORTH_ADMIN, SOUTH_ADMIN, STAFF, STUDENT, move_clock_to
from tests.rights.helpers import fresh_code

__all__ = ["people"]
ADMIN = "/portal/s/demo-north/admin"


def _local(at) -> str:
    return (at + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")


async def test_a_support_grant_is_given_listed_and_revoked_as_the_api_does(
    client, login, sign_in, people
):
    """AUZ-8: kinds, purpose, at most 7 days; refused values beside their field; revoke."""
    admin = await sign_in(NORTH_ADMIN)
    form = await admin.get(f"{ADMIN}/support-grants")
    assert form.status_code == 200 and "没有支持授权" in form.text
    token = csrf_of(form.text)
    sent = {
        "csrf": token,
        "staff_phone": STAFF,
        "record_kinds": ["member", "attendance"],
        "purpose": "technical_support",
        "expires_at": _local(clock.now() + timedelta(days=10)),
        "reason": "ticket 4711",
    }
    too_long = await admin.post(f"{ADMIN}/support-grants", data=sent)
    assert too_long.status_code == 422 and 'id="expires_at-error"' in too_long.text
    assert "最多为从现在起 7 天" in too_long.text
    no_kinds = await admin.post(f"{ADMIN}/support-grants", data={**sent, "record_kinds": []})
    assert 'id="record_kinds-error"' in no_kinds.text and "请至少选择一项" in no_kinds.text
    not_staff = await admin.post(f"{ADMIN}/support-grants", data={**sent, "staff_phone": STUDENT})
    assert 'id="staff_phone-error"' in not_staff.text and "不是平台员工账号" in not_staff.text
    sent["expires_at"] = _local(clock.now() + timedelta(days=2))
    made = await admin.post(f"{ADMIN}/support-grants", data=sent)
    assert made.status_code == 303, made.text
    listed = await admin.get(f"{ADMIN}/support-grants")
    row = row_of(listed.text, "grants", "ticket 4711")
    assert row[1:3] == ["出勤, 成员", "技术支持"] and row[5] == "有效"
    api = await client.get(
        "/v1/tenants/demo-north/support-grants", headers=await login(NORTH_ADMIN)
    )
    grant_id = api.json()["items"][0]["id"]
    south = await sign_in(SOUTH_ADMIN)
    assert (await south.get(f"{ADMIN}/support-grants")).status_code == 404
    south_token = csrf_of((await south.get("/portal/s/demo-south/admin/support-grants")).text)
    cross = await south.post(
        f"/portal/s/demo-south/admin/support-grants/{grant_id}/revoke", data={"csrf": south_token}
    )
    assert cross.status_code == 404  # another school's grant is a missing one
    revoked = await admin.post(f"{ADMIN}/support-grants/{grant_id}/revoke", data={"csrf": token})
    assert revoked.status_code == 303
    assert (
        row_of((await admin.get(f"{ADMIN}/support-grants")).text, "grants", "ticket 4711")[5]
        == "已撤销"
    )


async def test_the_schools_rights_requests_show_due_dates_and_are_decided(
    client, owner, login, sign_in, people
):
    """RGT-5: the student's deletion reaches the school's page with its due date; the
    decision made there is the one the API shows."""
    move_clock_to(2026, 12, 1)
    student = await login(STUDENT)
    code = await fresh_code(client, owner, STUDENT)
    filed = await client.post(
        "/v1/me/requests",
        json={"type": "deletion", "grounds": "stopped_using", "details": "all of it",
              "sms_code": code},
        headers=student,
    )  # fmt: skip
    assert filed.status_code == 201, filed.text
    part = next(p for p in filed.json()["routed_to"] if p["controller"] == "demo-north")
    admin = await sign_in(NORTH_ADMIN)
    listed = await admin.get(f"{ADMIN}/requests")
    assert listed.status_code == 200
    row = row_of(listed.text, "requests", "all of it")
    assert row[1] == "删除" and row[4].startswith(part["due_on"])
    overdue = await admin.get(f"{ADMIN}/requests?flag=overdue")
    assert "没有申请" in overdue.text
    token = csrf_of(listed.text)
    bad = await admin.post(
        f"{ADMIN}/requests/{part['id']}/decide", data={"csrf": token, "decision": "maybe"}
    )
    assert bad.status_code == 422 and f'id="{part["id"]}-decision-error"' in bad.text
    done = await admin.post(
        f"{ADMIN}/requests/{part['id']}/decide",
        data={"csrf": token, "decision": "approve", "reason": "no lessons left"},
    )
    assert done.status_code == 303
    api = await client.get("/v1/tenants/demo-north/requests", headers=await login(NORTH_ADMIN))
    assert api.json()["items"][0]["decision"] == "approve"
    south = await sign_in(SOUTH_ADMIN)
    assert (await south.get(f"{ADMIN}/requests")).status_code == 404
    cross = await south.post(
        f"/portal/s/demo-south/admin/requests/{part['id']}/decide",
        data={"csrf": csrf_of((await south.get("/portal/s/demo-south/admin/requests")).text),
              "decision": "refuse"},
    )  # fmt: skip
    assert cross.status_code == 404


async def test_the_school_page_offers_exactly_the_listed_exceptions(
    client, owner, login, sign_in, people
):
    """RGT-21 in the portal: refusing without an exception is shown beside the field."""
    student = await login(STUDENT)
    code = await fresh_code(client, owner, STUDENT)
    filed = await client.post(
        "/v1/me/requests",
        json={"type": "deletion", "grounds": "stopped_using", "sms_code": code},
        headers=student,
    )
    assert filed.status_code == 201, filed.text
    filed = filed.json()
    part = next(p["id"] for p in filed["routed_to"] if p["controller"] == "demo-north")
    admin = await sign_in(NORTH_ADMIN, "en")
    listed = await admin.get("/portal/s/demo-north/admin/requests")
    offered = set(listed.text.split(f'id="{part}-exception"')[1].split("</select>")[0].split('"'))
    assert {"legal_obligation", "trade_secrets", "vital_interests"} <= offered
    token = csrf_of(listed.text)
    decide = f"/portal/s/demo-north/admin/requests/{part}/decide"
    form = {"csrf": token, "decision": "refuse", "reason": "evidence"}
    bad = await admin.post(decide, data=form)
    assert bad.status_code == 422 and f'id="{part}-exception-error"' in bad.text
    done = await admin.post(decide, data=form | {"exception": "public_interest"})
    assert done.status_code == 303
    shown = await admin.get("/portal/s/demo-north/admin/requests")
    assert "Public safety, public health or a major public interest" in shown.text


async def test_the_audit_log_filters_by_person_kind_and_time_and_pages(
    client, login, sign_in, people
):
    """AUZ audit: the page lists what GET /v1/tenants/{slug}/audit lists for the filters."""
    admin = await sign_in(NORTH_ADMIN)
    for _ in range(3):
        await admin.get(f"{ADMIN}/members")
    everything = await admin.get(f"{ADMIN}/audit")
    assert everything.status_code == 200 and 'id="audit"' in everything.text
    members = await admin.get(f"{ADMIN}/audit", params={"kind": "member"})
    body = members.text.split('id="audit"', 1)[1]
    assert body.count("<tr>") >= 4 and "审计记录" not in body.split("</thead>", 1)[1]
    by_admin = await admin.get(f"{ADMIN}/audit", params={"person": NORTH_ADMIN, "kind": "member"})
    assert by_admin.text.count("<tr>") == members.text.count("<tr>")
    later = _local(clock.now() + timedelta(hours=1))
    none = await admin.get(f"{ADMIN}/audit", params={"since": later})
    assert "没有记录" in none.text
    bad = await admin.get(f"{ADMIN}/audit", params={"person": "13000000000", "since": "x"})
    assert bad.status_code == 422
    assert 'id="person-error"' in bad.text and 'id="since-error"' in bad.text
    api = await client.get(
        "/v1/tenants/demo-north/audit?kind=member&limit=2", headers=await login(NORTH_ADMIN)
    )
    assert api.json()["next_cursor"]
    south = await sign_in(SOUTH_ADMIN)
    assert (await south.get(f"{ADMIN}/audit")).status_code == 404


async def test_the_audit_log_pages_through_with_its_filters_kept(sign_in, people):
    admin = await sign_in(NORTH_ADMIN)
    for _ in range(52):
        await admin.get(f"{ADMIN}/members")
    first = await admin.get(f"{ADMIN}/audit", params={"kind": "member"})
    rows = first.text.split('id="audit"', 1)[1].split("</table>", 1)[0]
    assert rows.count("<tr>") == 51  # the header and 50 entries
    link = first.text.split('id="next" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert "kind=member" in link
    second = await admin.get(f"{ADMIN}/audit{link}")
    assert second.status_code == 200
    rest = second.text.split('id="audit"', 1)[1].split("</table>", 1)[0]
    assert 3 <= rest.count("<tr>") < 51 and "成员" in rest
