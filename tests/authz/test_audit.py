"""Reading the audit log: school admins list/filter/export, everyone reads entries about them."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Annotated, Any

import pytest
from fastapi import Depends
from sqlalchemy import func, select
from sqlmodel import col

from app.authz.access import Access
from app.authz.audit import record_access
from app.authz.deps import Authorize
from app.authz.models import AuditEntry
from app.core import clock
from app.core.db import set_tenant
from app.core.deps import SessionDep
from app.core.errors import Invalid
from app.core.vocabulary import Action, Purpose, RecordKind
from tests.authz.world import PHONES, World, add_entry, build_world

A, B = "demo-north", "demo-south"
# At module level: route annotations are strings, resolved in this module's globals (inside
# the test, `access` was taken for a query parameter and the route never ran).
MemberList = Annotated[
    Access, Depends(Authorize(RecordKind.MEMBER, Action.LIST, purpose=Purpose.ACCOUNT))
]


@pytest.fixture
async def world(owner, schools) -> World:
    return await build_world(owner, schools)


async def _count(owner, tenant, **where: Any) -> int:
    async with owner.db.session() as session:
        await set_tenant(session, tenant.id)
        query = select(func.count()).select_from(AuditEntry)
        query = query.where(col(AuditEntry.tenant_id) == tenant.id)
        for name, value in where.items():
            query = query.where(getattr(AuditEntry, name) == value)
        return int((await session.execute(query)).scalar_one())


async def test_admin_lists_newest_first_with_filters_and_pages(client, login, owner, world):
    """SEC-6."""
    s1, s2, t1 = world.id("student"), world.id("student2"), world.id("teacher")
    first = await add_entry(owner, world.a, subjects=[s1], actor=t1, kind="attendance")
    second = await add_entry(owner, world.a, subjects=[s2], actor=t1, kind="behaviour")
    third = await add_entry(owner, world.a, subjects=[s1, s2], kind="member", action="list")
    admin = await login(PHONES["admin"])
    path = f"/v1/tenants/{A}/audit"

    body = (await client.get(path, headers=admin)).json()
    ids = [e["id"] for e in body["items"]]
    assert ids == [str(third), str(second), str(first)]
    assert body["items"][0]["subjects"] == sorted([str(s1), str(s2)])
    assert body["items"][0]["actor_kind"] == "member" and body["items"][0]["grant_id"] is None

    about_s1 = (await client.get(path, params={"person": str(s1)}, headers=admin)).json()
    assert [e["id"] for e in about_s1["items"]] == [str(third), str(first)]
    by_t1 = (await client.get(path, params={"person": str(t1)}, headers=admin)).json()
    assert {e["id"] for e in by_t1["items"]} == {str(first), str(second)}
    kind = (await client.get(path, params={"kind": "behaviour"}, headers=admin)).json()
    assert [e["id"] for e in kind["items"]] == [str(second)]
    future = (clock.now() + timedelta(hours=1)).isoformat()
    later = await client.get(path, params={"from": future}, headers=admin)
    assert later.json()["items"] == []
    # The admin's own list reads above are in the log too, and `to` excludes them.
    page1 = (await client.get(path, params={"limit": 2, "to": future}, headers=admin)).json()
    page2 = await client.get(
        path, params={"limit": 2, "cursor": page1["next_cursor"]}, headers=admin
    )
    assert len(page1["items"]) == 2 and page1["next_cursor"]
    assert page2.status_code == 200
    assert page2.json()["items"][0]["id"] < page1["items"][-1]["id"]

    bad = await client.get(path, params={"person": "nobody"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["field"] == "person"


async def test_reading_the_log_is_audited(client, login, owner, world):
    admin = await login(PHONES["admin"])
    person = str(world.id("student"))
    response = await client.get(f"/v1/tenants/{A}/audit", params={"person": person}, headers=admin)
    assert response.status_code == 200
    reads = await _count(owner, world.a, record_kind="audit_entry", actor_id=world.id("admin"))
    assert reads == 1
    listed = (await client.get(f"/v1/tenants/{A}/audit", headers=admin)).json()["items"]
    assert listed[0]["record_kind"] == "audit_entry" and listed[0]["purpose"] == "security"
    assert listed[0]["subjects"] == [person]
    assert listed[0]["detail"]["filters"] == {"person": person}


async def test_members_see_only_entries_about_them_or_their_children(client, login, owner, world):
    s1, s2 = world.id("student"), world.id("student2")
    about_s1 = await add_entry(owner, world.a, subjects=[s1])
    about_s2 = await add_entry(owner, world.a, subjects=[s2])
    both = await add_entry(owner, world.a, subjects=[s1, s2], action="list")
    path = f"/v1/tenants/{A}/audit"
    for who in ("student", "guardian"):
        headers = await login(PHONES[who])
        items = (await client.get(path, headers=headers)).json()["items"]
        assert {e["id"] for e in items} == {str(about_s1), str(both)}, who
        # Others in the same entry stay hidden.
        assert all(e["subjects"] == [str(s1)] for e in items), who
    student2 = await login(PHONES["student2"])
    items = (await client.get(path, headers=student2)).json()["items"]
    assert {e["id"] for e in items} == {str(about_s2), str(both)}
    teacher = await login(PHONES["teacher"])
    assert (await client.get(path, headers=teacher)).json()["items"] == []
    # Export is for school admins only; school B's admin gets 404 for school A.
    assert (await client.get(f"{path}/export", headers=teacher)).status_code == 403
    admin_b = await login(PHONES["admin_b"])
    assert (await client.get(path, headers=admin_b)).status_code == 404
    assert (await client.get(f"{path}/export", headers=admin_b)).status_code == 404
    b_items = (await client.get(f"/v1/tenants/{B}/audit", headers=admin_b)).json()["items"]
    assert str(about_s1) not in {e["id"] for e in b_items}


async def test_audit_log_refuses_a_purpose_that_does_not_cover_it(client, login, world):
    admin = await login(PHONES["admin"])
    path = f"/v1/tenants/{A}/audit"
    refused = await client.get(path, params={"purpose": "learning_record"}, headers=admin)
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("purpose-refused")
    assert (
        await client.get(path, params={"purpose": "rights_handling"}, headers=admin)
    ).status_code == 200


async def test_export_json_and_csv(client, login, owner, world):
    s1 = world.id("student")
    entries = [await add_entry(owner, world.a, subjects=[s1]) for _ in range(3)]
    await add_entry(owner, world.b, subjects=[world.id("student_b")])
    admin = await login(PHONES["admin"])
    path = f"/v1/tenants/{A}/audit/export"

    as_json = await client.get(path, params={"format": "json", "person": str(s1)}, headers=admin)
    assert as_json.status_code == 200
    assert as_json.headers["content-type"].startswith("application/json")
    rows = [r for r in json.loads(as_json.text) if r["record_kind"] != "audit_entry"]
    assert [r["id"] for r in rows] == [str(e) for e in entries]  # oldest first
    assert rows[0]["subjects"] == [str(s1)]

    as_csv = await client.get(path, params={"format": "csv"}, headers=admin)
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.text.startswith("\ufeff")  # the one CSV writer: BOM for spreadsheets
    table = list(csv.DictReader(io.StringIO(as_csv.text.lstrip("\ufeff"))))
    assert [r["id"] for r in table][:3] == [str(e) for e in entries]
    assert {r["actor_kind"] for r in table} == {"member"}
    # The JSON export is itself in the log (written before the body streamed).
    assert any(r["record_kind"] == "audit_entry" and r["action"] == "export" for r in table)
    bad = await client.get(path, params={"format": "xml"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["field"] == "format"


async def test_me_audit_gathers_entries_about_me_across_schools(client, login, owner, world):
    s1 = world.id("student")
    # S1 is also a student of school B.
    from tests.factories import add_member

    await add_member(owner, world.b, PHONES["student"], "student")
    in_a = await add_entry(owner, world.a, subjects=[s1])
    in_b = await add_entry(owner, world.b, subjects=[s1], kind="behaviour")
    await add_entry(owner, world.a, subjects=[world.id("student2")])
    headers = await login(PHONES["student"])

    body = (await client.get("/v1/me/audit", headers=headers)).json()
    assert [(e["school"], e["id"]) for e in body["items"]] == [(B, str(in_b)), (A, str(in_a))]
    # Each read of my log is itself recorded in each school it showed entries of.
    assert await _count(owner, world.a, record_kind="audit_entry", actor_id=s1) == 1
    assert await _count(owner, world.b, record_kind="audit_entry", actor_id=s1) == 1
    page = (await client.get("/v1/me/audit", params={"limit": 1}, headers=headers)).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = await client.get("/v1/me/audit", params={"cursor": page["next_cursor"]}, headers=headers)
    assert [e["id"] for e in rest.json()["items"]][-2:] == [str(in_b), str(in_a)]
    nobody = await login("+8613700000077")
    assert (await client.get("/v1/me/audit", headers=nobody)).json()["items"] == []
    assert (await client.get("/v1/me/audit")).status_code == 401


async def test_a_failed_request_leaves_no_audit_entry(app, client, login, owner, world):
    """The entry is part of the request's transaction: a later failure rolls it back."""

    async def read_then_fail(access: MemberList, session: SessionDep) -> dict[str, str]:
        await record_access(session, access, [world.id("student")])
        raise Invalid("field", "found wrong after the read was recorded")

    app.add_api_route("/v1/tenants/{slug}/test-read-then-fail", read_then_fail)
    admin = await login(PHONES["admin"])
    failed = await client.get(f"/v1/tenants/{A}/test-read-then-fail", headers=admin)
    assert failed.status_code == 422 and failed.json()["field"] == "field"
    assert await _count(owner, world.a) == 0
    ok = await client.get(f"/v1/tenants/{A}/members", headers=admin)
    assert ok.status_code == 200
    assert await _count(owner, world.a) == 1
