"""Routing to each controller, decisions, cross-school 404 (TPS-8, RGT-5, RGT-18..20)."""

from __future__ import annotations

from tests.privacy.people import (
    CHILD,
    GUARDIAN,
    NORTH_ADMIN,
    SOUTH_ADMIN,
    STAFF,
    STRANGER,
    STUDENT,
    move_clock_to,
)
from tests.rights.helpers import fresh_code, routed

NORTH = "/v1/tenants/demo-north/requests"
SOUTH = "/v1/tenants/demo-south/requests"


async def _deletion(client, owner, login):
    headers = await login(STUDENT)
    code = await fresh_code(client, owner, STUDENT)
    body = {
        "type": "deletion",
        "grounds": "stopped_using",
        "details": "all of it",
        "sms_code": code,
    }
    response = await client.post("/v1/me/requests", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json(), headers


async def test_deletion_goes_to_the_platform_and_to_each_school_as_linked_parts(
    client, owner, login, people
):
    """RGT-7."""
    move_clock_to(2026, 12, 1)
    body, headers = await _deletion(client, owner, login)
    parts = routed(body)
    assert set(parts) == {"platform", "demo-north", "demo-south"}
    assert body["status"] == "in_progress"
    assert [h["status"] for h in body["history"]][:2] == ["received", "identity_verified"]
    assert "SMS" in body["history"][1]["note"]
    north_admin, south_admin = await login(NORTH_ADMIN), await login(SOUTH_ADMIN)
    north = (await client.get(NORTH, headers=north_admin)).json()["items"]
    south = (await client.get(SOUTH, headers=south_admin)).json()["items"]
    assert [p["id"] for p in north] == [parts["demo-north"]["id"]]
    assert [p["id"] for p in south] == [parts["demo-south"]["id"]]
    assert north[0]["request_id"] == body["id"] == south[0]["request_id"]
    assert north[0]["grounds"] == "stopped_using"

    # Another school's admin neither sees nor decides it: 404, nothing changes.
    assert (await client.get(NORTH, headers=south_admin)).status_code == 404
    cross = await client.post(
        f"{SOUTH}/{parts['demo-north']['id']}/decide",
        json={"decision": "approve"},
        headers=south_admin,
    )
    assert cross.status_code == 404
    assert (
        await client.post(
            f"{NORTH}/{parts['demo-north']['id']}/decide",
            json={"decision": "approve"},
            headers=south_admin,
        )
    ).status_code == 404
    # A student's scope in the school is their own requests; a classmate sees none of it.
    classmate = await client.get(NORTH, headers=await login(CHILD))
    assert classmate.status_code == 200 and classmate.json()["items"] == []
    forbidden = await client.post(
        f"{NORTH}/{parts['demo-north']['id']}/decide", json={"decision": "approve"}, headers=headers
    )
    assert forbidden.status_code == 403

    # Each controller decides its part; the request settles when the last one has.
    no_reason = await client.post(
        f"{SOUTH}/{parts['demo-south']['id']}/decide",
        json={"decision": "refuse"},
        headers=south_admin,
    )
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    refused = await client.post(
        f"{SOUTH}/{parts['demo-south']['id']}/decide",
        json={
            "decision": "refuse",
            "reason": "records under legal hold",
            "exception": "criminal_proceedings",
        },
        headers=south_admin,
    )
    assert refused.status_code == 200
    assert (refused.json()["status"], refused.json()["reason"]) == (
        "refused",
        "records under legal hold",
    )
    approve = {"decision": "approve"}
    north_url = f"{NORTH}/{parts['demo-north']['id']}/decide"
    assert (await client.post(north_url, json=approve, headers=north_admin)).status_code == 200
    retry = await client.post(north_url, json=approve, headers=north_admin)
    assert retry.status_code == 200 and retry.json()["status"] == "done"
    change = await client.post(
        north_url,
        json={"decision": "refuse", "reason": "x", "exception": "trade_secrets"},
        headers=north_admin,
    )
    assert change.status_code == 409
    mid = (await client.get(f"/v1/me/requests/{body['id']}", headers=headers)).json()
    assert mid["status"] == "in_progress"
    assert routed(mid)["demo-north"]["status"] == "done"
    assert routed(mid)["platform"]["status"] == "in_progress"

    staff = await login(STAFF)
    listed = await client.get("/v1/platform/requests", headers=staff)
    assert [r["id"] for r in listed.json()["items"]] == [body["id"]]
    assert (await client.get("/v1/platform/requests", headers=north_admin)).status_code == 403
    done = await client.post(
        f"/v1/platform/requests/{body['id']}/decide", json=approve, headers=staff
    )
    assert done.status_code == 200
    final = (await client.get(f"/v1/me/requests/{body['id']}", headers=headers)).json()
    assert final["status"] == "partly_done"
    assert final["history"][-1]["status"] == "partly_done"
    steps = routed(final)["demo-north"]["history"]
    assert [s["by_kind"] for s in steps][-3:] == ["school", "platform", "platform"]
    assert steps[-1]["note"].startswith("carried out")  # TPS-8: Rostra deleted it there


async def test_deletion_needs_grounds_and_a_fresh_sms_code_and_writes_nothing_without(
    client, owner, login, people
):
    """RGT-6."""
    headers = await login(STUDENT)
    no_grounds = await client.post(
        "/v1/me/requests", json={"type": "deletion", "sms_code": "123456"}, headers=headers
    )
    assert no_grounds.status_code == 422 and no_grounds.json()["field"] == "grounds"
    no_code = await client.post(
        "/v1/me/requests", json={"type": "deletion", "grounds": "stopped_using"}, headers=headers
    )
    assert no_code.status_code == 422 and no_code.json()["field"] == "sms_code"
    await fresh_code(client, owner, STUDENT)
    wrong = await client.post(
        "/v1/me/requests",
        json={"type": "deletion", "grounds": "stopped_using", "sms_code": "000000x"},
        headers=headers,
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "sms_code"
    unknown = await client.post(
        "/v1/me/requests",
        json={"type": "correction", "controllers": ["demo-elsewhere"]},
        headers=headers,
    )
    assert unknown.status_code == 422 and unknown.json()["field"] == "controllers"
    assert (await client.get("/v1/me/requests", headers=headers)).json()["items"] == []


async def test_a_retried_request_is_not_filed_twice_and_a_repeat_is_flagged(client, login, people):
    """RGT-19/20: the same open request again the same day is the same request; a new one
    of the same type within 30 days points at the earlier one for the decider."""
    move_clock_to(2026, 11, 2)
    headers = await login(STUDENT)
    body = {"type": "correction", "details": "my name is misspelt", "controllers": ["demo-north"]}
    first = await client.post("/v1/me/requests", json=body, headers=headers)
    again = await client.post("/v1/me/requests", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert set(routed(first.json())) == {"demo-north"}
    move_clock_to(2026, 11, 9)
    headers = await login(STUDENT)
    later = await client.post("/v1/me/requests", json=body, headers=headers)
    assert later.status_code == 201 and later.json()["repeat_of"] == first.json()["id"]
    admin = await login(NORTH_ADMIN)
    items = (await client.get(NORTH, headers=admin)).json()["items"]
    assert [i["repeat_of"] for i in items] == [first.json()["id"], None]
    refused = await client.post(
        f"{NORTH}/{items[0]['id']}/decide",
        json={
            "decision": "refuse",
            "reason": "repeated: answered on 2026-11-02 (RGT-20)",
            "exception": "malice_or_abuse",
        },
        headers=admin,
    )
    assert refused.status_code == 200
    mine = await client.get(f"/v1/me/requests/{later.json()['id']}", headers=headers)
    assert mine.json()["status"] == "refused"


async def test_due_soon_and_overdue_lists_for_the_school_and_platform_staff(client, login, people):
    """RGT-25: received 2026-11-02 (Mon), due 2026-11-23; due soon from 11-18, overdue after."""
    move_clock_to(2026, 11, 2)
    headers = await login(STUDENT)
    filed = await client.post("/v1/me/requests", json={"type": "complaint"}, headers=headers)
    fixing = await client.post(
        "/v1/me/requests", json={"type": "correction", "details": "x"}, headers=headers
    )
    assert filed.json()["due_on"] == "2026-11-23"
    north_part = routed(fixing.json())["demo-north"]["id"]

    async def flagged(url, phone, flag):
        response = await client.get(f"{url}?flag={flag}", headers=await login(phone))
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert await flagged(NORTH, NORTH_ADMIN, "due_soon") == set()
    move_clock_to(2026, 11, 18)
    assert await flagged(NORTH, NORTH_ADMIN, "due_soon") == {north_part}
    assert await flagged(NORTH, NORTH_ADMIN, "overdue") == set()
    staff_soon = await flagged("/v1/platform/requests", STAFF, "due_soon")
    assert staff_soon == {filed.json()["id"], fixing.json()["id"]}
    move_clock_to(2026, 11, 24)
    assert await flagged(NORTH, NORTH_ADMIN, "overdue") == {north_part}
    mine = await client.get(f"/v1/me/requests/{filed.json()['id']}", headers=await login(STUDENT))
    assert (mine.json()["overdue"], mine.json()["due_soon"]) == (True, False)
    bad = await client.get(f"{NORTH}?flag=late", headers=await login(NORTH_ADMIN))
    assert bad.status_code == 422 and bad.json()["field"] == "flag"


async def test_access_request_is_verified_by_the_session_and_handed_to_the_export(
    client, login, people
):
    headers = await login(STUDENT)
    response = await client.post("/v1/me/requests", json={"type": "access"}, headers=headers)
    body = response.json()
    assert response.status_code == 201
    assert (body["status"], list(routed(body))) == ("in_progress", ["platform"])
    assert body["history"][-1]["note"] == "access export started"
    one = await client.get(f"/v1/me/requests/{body['id']}", headers=headers)
    assert one.json()["id"] == body["id"]
    other = await client.get(f"/v1/me/requests/{body['id']}", headers=await login(CHILD))
    assert other.status_code == 404


async def test_a_guardian_files_for_their_child_and_no_one_else_can(client, login, people):
    """MIN-5, ROL-6."""
    guardian = await login(GUARDIAN)
    child = people.id(CHILD)
    filed = await client.post(
        f"/v1/me/requests?student={child}", json={"type": "access"}, headers=guardian
    )
    assert filed.status_code == 201 and filed.json()["by_guardian"] is True
    listed = await client.get(f"/v1/me/requests?student={child}", headers=guardian)
    assert [r["id"] for r in listed.json()["items"]] == [filed.json()["id"]]
    stranger = await login(STRANGER)
    refused = await client.post(
        f"/v1/me/requests?student={child}", json={"type": "access"}, headers=stranger
    )
    assert refused.status_code == 404 and refused.json()["field"] == "student"


async def test_request_lists_page_with_a_cursor(client, login, people):
    headers = await login(STUDENT)
    for kind in ("complaint", "access"):
        assert (
            await client.post("/v1/me/requests", json={"type": kind}, headers=headers)
        ).status_code == 201
    first = (await client.get("/v1/me/requests?limit=1", headers=headers)).json()
    assert [r["type"] for r in first["items"]] == ["access"] and first["next_cursor"]
    second = await client.get(
        f"/v1/me/requests?limit=1&cursor={first['next_cursor']}", headers=headers
    )
    assert [r["type"] for r in second.json()["items"]] == ["complaint"]
    assert second.json()["next_cursor"] is None
    forged = await client.get("/v1/me/requests?cursor=bm9wZQ", headers=headers)
    assert forged.status_code == 422 and forged.json()["field"] == "cursor"
    too_many = await client.get("/v1/me/requests?limit=501", headers=headers)
    assert too_many.status_code == 422
