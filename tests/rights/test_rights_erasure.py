"""A school's approved deletion is carried out by Rostra in that school (TPS-8, RGT-5)."""

from __future__ import annotations

from tests.classroom.conftest import (
    CLASSMATE,
    NORTH_ADMIN,
    SOUTH_ADMIN,
    STUDENT,
    event,
    send,
    world,
)
from tests.rights.helpers import fresh_code, routed

__all__ = ["world"]


async def test_approving_a_deletion_deletes_the_persons_records_in_that_school_only(
    client, owner, login, world
):
    """RGT-5: the student's deletion, approved by the school, leaves nothing of theirs in
    the school's classroom records; the classmate's stay; another school cannot decide it."""
    batch = [
        event(world, "attendance.joined", 0, who=STUDENT),
        event(world, "behaviour.hand_raised", 1, who=STUDENT),
        event(world, "attendance.joined", 0, who=CLASSMATE),
    ]
    assert (await send(client, world.key, batch)).status_code == 202
    student = await login(STUDENT)
    code = await fresh_code(client, owner, STUDENT)
    body = {"type": "deletion", "grounds": "stopped_using", "sms_code": code}
    filed = await client.post("/v1/me/requests", json=body, headers=student)
    assert filed.status_code == 201, filed.text
    part = routed(filed.json())["demo-north"]["id"]
    admin = await login(NORTH_ADMIN)
    url = f"/v1/tenants/demo-north/requests/{part}/decide"
    south = await login(SOUTH_ADMIN)
    assert (await client.post(url, json={"decision": "approve"}, headers=south)).status_code == 404

    events = f"/v1/tenants/demo-north/lessons/{world.lesson}/events"
    users = {i["user"] for i in (await client.get(events, headers=admin)).json()["items"]}
    assert users == {world.user(STUDENT), world.user(CLASSMATE)}
    approved = await client.post(url, json={"decision": "approve"}, headers=admin)
    assert approved.status_code == 200, approved.text
    assert approved.json()["history"][-1]["note"].startswith(
        "carried out: 7 records"
    )  # events, span, rollup, 2 enrolments, guardianship
    after = {i["user"] for i in (await client.get(events, headers=admin)).json()["items"]}
    assert after == {world.user(CLASSMATE)}
    spans = await client.get(
        f"/v1/tenants/demo-north/lessons/{world.lesson}/attendance", headers=admin
    )
    assert world.user(STUDENT) not in {s["user"]["id"] for s in spans.json()["items"]}
    audit = await client.get("/v1/tenants/demo-north/audit?kind=rights_request", headers=admin)
    erased = [e["detail"]["erased"] for e in audit.json()["items"] if "erased" in e["detail"]]
    assert erased and erased[0]["classroom_event"] == 2
    again = await client.post(url, json={"decision": "approve"}, headers=admin)
    assert again.status_code == 200  # a retry deletes nothing more and changes nothing
