"""A school's approved deletion is carried out by Rostra in that school (TPS-8, RGT-5)."""

from __future__ import annotations

import uuid

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


async def _file_deletion(client, owner, login) -> str:
    student = await login(STUDENT)
    code = await fresh_code(client, owner, STUDENT)
    body = {"type": "deletion", "grounds": "stopped_using", "sms_code": code}
    filed = await client.post("/v1/me/requests", json=body, headers=student)
    assert filed.status_code == 201, filed.text
    return f"/v1/tenants/demo-north/requests/{routed(filed.json())['demo-north']['id']}/decide"


async def test_ret5_a_legal_hold_on_the_person_stops_an_approved_deletion_until_lifted(
    client, owner, login, world
):
    """RET-5: while a hold keeps the student's data, approving their deletion is 409 naming
    the hold and deletes nothing; once the hold is lifted, the same approval erases."""
    assert (
        await send(client, world.key, [event(world, "attendance.joined", 0)])
    ).status_code == 202
    url = await _file_deletion(client, owner, login)
    admin = await login(NORTH_ADMIN)
    hold = await client.post(
        "/v1/tenants/demo-north/holds",
        json={"scope": "person", "person_id": world.user(STUDENT), "reason": "court order 17"},
        headers=admin,
    )
    assert hold.status_code == 201, hold.text
    events = f"/v1/tenants/demo-north/lessons/{world.lesson}/events"

    refused = await client.post(url, json={"decision": "approve"}, headers=admin)
    assert refused.status_code == 409, refused.text
    assert "court order 17" in refused.json()["detail"]
    assert refused.json()["holds"] == [hold.json()["id"]]
    users = {i["user"] for i in (await client.get(events, headers=admin)).json()["items"]}
    assert world.user(STUDENT) in users  # nothing was deleted
    part = (await client.get(url.removesuffix("/decide"), headers=admin)).json()
    assert part["status"] != "approved"  # nor was the decision kept

    lifted = await client.delete(f"/v1/tenants/demo-north/holds/{hold.json()['id']}", headers=admin)
    assert lifted.status_code == 204
    approved = await client.post(url, json={"decision": "approve"}, headers=admin)
    assert approved.status_code == 200, approved.text
    users = {i["user"] for i in (await client.get(events, headers=admin)).json()["items"]}
    assert world.user(STUDENT) not in users


async def test_ret6_replaying_the_deletion_log_erases_the_person_again(
    client, owner, login, world, tmp_path
):
    """RET-6: an approved deletion is in the deletion log; the person's rows as a backup from
    before it holds them (put back as the owner) are erased again by `replay`, the
    classmate's stay, and a second replay changes nothing."""
    from sqlalchemy import insert, select

    from app.classroom.models import ClassroomEvent
    from app.retention.replay import export_log, replay
    from app.roster.models import Enrollment

    batch = [
        event(world, "attendance.joined", 0),
        event(world, "attendance.joined", 0, who=CLASSMATE),
    ]
    assert (await send(client, world.key, batch)).status_code == 202
    student = uuid.UUID(world.user(STUDENT))
    tables = [ClassroomEvent.__table__, Enrollment.__table__]
    async with owner.db.session() as session:  # what a backup taken now would hold
        backup = {
            t: [
                dict(r)
                for r in (
                    await session.execute(select(t).where(t.c.account_id == student))
                ).mappings()
            ]
            for t in tables
        }
    assert backup[ClassroomEvent.__table__] and backup[Enrollment.__table__]
    url = await _file_deletion(client, owner, login)
    admin = await login(NORTH_ADMIN)
    assert (await client.post(url, json={"decision": "approve"}, headers=admin)).status_code == 200
    log = tmp_path / "deletion.jsonl"
    assert await export_log(owner.db, log) >= 1

    async with owner.db.session() as session:  # the restore brings the rows back
        for table in reversed(tables):
            await session.execute(insert(table), backup[table])
    events = f"/v1/tenants/demo-north/lessons/{world.lesson}/events"
    users = {i["user"] for i in (await client.get(events, headers=admin)).json()["items"]}
    assert users == {world.user(STUDENT), world.user(CLASSMATE)}

    report = await replay(owner.db, log)
    assert report.removed["classroom_event"] == len(backup[ClassroomEvent.__table__])
    assert report.removed["enrollment"] == len(backup[Enrollment.__table__])
    users = {i["user"] for i in (await client.get(events, headers=admin)).json()["items"]}
    assert users == {world.user(CLASSMATE)}
    again = await replay(owner.db, log)
    assert sum(again.removed.values()) == 0
