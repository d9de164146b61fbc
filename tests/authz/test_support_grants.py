"""Support grants (AUZ-8): staff read a school's records only inside a live, audited grant."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from app.authz.models import AuditEntry
from app.core import clock
from app.core.db import set_tenant
from tests.authz.world import PHONES, World, build_world
from tests.roster.helpers import consent

A, B = "demo-north", "demo-south"


@pytest.fixture
async def world(owner, schools) -> World:
    return await build_world(owner, schools)


def grant_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "staff_phone": PHONES["staff"],
        "record_kinds": ["member", "attendance"],
        "purpose": "technical_support",
        "expires_at": (clock.now() + timedelta(days=2)).isoformat(),
        "reason": "ticket 4711: students cannot join lessons",
    }
    body.update(overrides)
    return body


async def _grant(client, headers, slug: str = A, **overrides: Any) -> dict[str, Any]:
    response = await client.post(
        f"/v1/tenants/{slug}/support-grants", json=grant_body(**overrides), headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _entries(owner, tenant, **where: Any) -> list[AuditEntry]:
    async with owner.db.session() as session:
        await set_tenant(session, tenant.id)
        query = select(AuditEntry).where(col(AuditEntry.tenant_id) == tenant.id)
        for name, value in where.items():
            query = query.where(getattr(AuditEntry, name) == value)
        return list((await session.execute(query)).scalars())


async def test_staff_reads_only_inside_a_live_grant(client, login, owner, world):
    """ROL-5."""
    admin, staff = await login(PHONES["admin"]), await login(PHONES["staff"])
    members = f"/v1/tenants/{A}/members"
    # No grant: the school is answered like one that does not exist.
    assert (await client.get(members, headers=staff)).status_code == 404

    grant = await _grant(client, admin)
    assert grant["status"] == "active" and grant["staff_account_id"] == str(world.id("staff"))
    assert grant["record_kinds"] == ["attendance", "member"]
    assert grant["staff_phone_masked"] == "+86 136****0001"

    listed = await client.get(members, headers=staff)
    assert listed.status_code == 200
    assert {m["account_id"] for m in listed.json()["items"]} >= {str(world.id("student2"))}
    reads = await _entries(owner, world.a, actor_id=world.id("staff"))
    assert len(reads) == 1
    assert reads[0].actor_kind == "platform_staff"
    assert str(reads[0].grant_id) == grant["id"]
    assert reads[0].purpose == "technical_support" and reads[0].record_kind == "member"

    # Another purpose than the grant's, a kind outside it, a write, another school: no.
    assert (
        await client.get(members, params={"purpose": "security"}, headers=staff)
    ).status_code == 404
    assert (await client.get(f"/v1/tenants/{A}/audit", headers=staff)).status_code == 404
    post = await client.post(f"/v1/tenants/{A}/support-grants", json=grant_body(), headers=staff)
    assert post.status_code == 404
    assert (await client.get(f"/v1/tenants/{B}/members", headers=staff)).status_code == 404


async def test_revoked_grant_closes_access(client, login, owner, world):
    admin, staff = await login(PHONES["admin"]), await login(PHONES["staff"])
    grant = await _grant(client, admin)
    members = f"/v1/tenants/{A}/members"
    assert (await client.get(members, headers=staff)).status_code == 200

    revoked = await client.delete(f"/v1/tenants/{A}/support-grants/{grant['id']}", headers=admin)
    assert revoked.status_code == 204
    assert (await client.get(members, headers=staff)).status_code == 404
    # Revoking again is a retried request: same answer, nothing more changes.
    again = await client.delete(f"/v1/tenants/{A}/support-grants/{grant['id']}", headers=admin)
    assert again.status_code == 204
    listed = (await client.get(f"/v1/tenants/{A}/support-grants", headers=admin)).json()
    assert [g["status"] for g in listed["items"]] == ["revoked"]
    revocations = await _entries(owner, world.a, record_kind="support_grant", action="delete")
    assert len(revocations) == 1


async def test_expired_grant_closes_access(client, login, world):
    admin = await login(PHONES["admin"])
    await _grant(client, admin, expires_at=(clock.now() + timedelta(hours=1)).isoformat())
    staff = await login(PHONES["staff"])
    members = f"/v1/tenants/{A}/members"
    assert (await client.get(members, headers=staff)).status_code == 200
    clock.advance(3601)
    staff, admin = await login(PHONES["staff"]), await login(PHONES["admin"])
    assert (await client.get(members, headers=staff)).status_code == 404
    listed = (await client.get(f"/v1/tenants/{A}/support-grants", headers=admin)).json()
    assert listed["items"][0]["status"] == "expired"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"record_kinds": ["member", "recording"]}, "record_kinds"),
        ({"record_kinds": ["member", "no_such_kind"]}, "record_kinds"),
        ({"purpose": "marketing"}, "purpose"),
        ({"expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
        ({"expires_at": "+8"}, "expires_at"),
        ({"staff_phone": PHONES["teacher"]}, "staff_phone"),
        ({"staff_phone": "12345"}, "staff_phone"),
        ({"reason": ""}, "reason"),
        ({"expires_at": "2030-01-01T00:00:00"}, "expires_at"),
    ],
)
async def test_invalid_grant_is_422_naming_the_field(client, login, owner, world, overrides, field):
    if overrides.get("expires_at") == "+8":
        overrides = {"expires_at": (clock.now() + timedelta(days=7, minutes=1)).isoformat()}
    admin = await login(PHONES["admin"])
    response = await client.post(
        f"/v1/tenants/{A}/support-grants", json=grant_body(**overrides), headers=admin
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in {e["field"] for e in response.json()["errors"]}
    assert await _entries(owner, world.a, record_kind="support_grant") == []


async def test_retried_create_returns_the_same_grant(client, login, world):
    admin = await login(PHONES["admin"])
    body = grant_body()
    first = await client.post(f"/v1/tenants/{A}/support-grants", json=body, headers=admin)
    second = await client.post(f"/v1/tenants/{A}/support-grants", json=body, headers=admin)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]


async def test_only_school_admins_manage_grants_and_only_their_own(client, login, world):
    admin, admin_b = await login(PHONES["admin"]), await login(PHONES["admin_b"])
    teacher = await login(PHONES["teacher"])
    path = f"/v1/tenants/{A}/support-grants"
    assert (await client.post(path, json=grant_body(), headers=teacher)).status_code == 403
    assert (await client.get(path, headers=teacher)).status_code == 403
    grant = await _grant(client, admin)
    assert (await client.delete(f"{path}/{grant['id']}", headers=teacher)).status_code == 403
    # School B's admin: A is not their school; through B's path A's grant does not exist.
    assert (await client.get(path, headers=admin_b)).status_code == 404
    assert (await client.delete(f"{path}/{grant['id']}", headers=admin_b)).status_code == 404
    other = f"/v1/tenants/{B}/support-grants/{grant['id']}"
    assert (await client.delete(other, headers=admin_b)).status_code == 404
    assert (await client.delete(f"{path}/not-an-id", headers=admin)).status_code == 404
    listed = (await client.get(path, headers=admin)).json()
    assert [g["status"] for g in listed["items"]] == ["active"]
    assert (await client.get(f"/v1/tenants/{B}/support-grants", headers=admin_b)).json() == {
        "items": [],
        "next_cursor": None,
    }


async def test_a_grant_reaches_only_its_record_kinds(client, login, world):
    """A members-only grant under technical_support (which covers attendance and diagnostics)
    still reads no attendance and no events: the grant's kinds bound it, not the purpose (AUZ-8)."""
    admin, staff = await login(PHONES["admin"]), await login(PHONES["staff"])
    await _grant(client, admin, record_kinds=["member"])
    lesson = f"/v1/tenants/{A}/lessons/{world.lessons['l1']}"
    support = {"purpose": "technical_support"}
    assert (await client.get(f"/v1/tenants/{A}/members", headers=staff)).status_code == 200
    for path in ("attendance", "events"):
        read = await client.get(f"{lesson}/{path}", params=support, headers=staff)
        assert read.status_code == 404, (path, read.text)
    diagnostics = {**support, "kind": "diagnostics.sample"}
    assert (
        await client.get(f"{lesson}/events", params=diagnostics, headers=staff)
    ).status_code == 404

    await _grant(client, admin, record_kinds=["member", "attendance", "diagnostics"])
    assert (
        await client.get(f"{lesson}/attendance", params=support, headers=staff)
    ).status_code == 200


async def test_a_read_grant_never_lets_staff_change_members(client, login, world):
    """Staff under a grant may list and read, never create or deactivate (AUZ-8)."""
    admin, staff = await login(PHONES["admin"]), await login(PHONES["staff"])
    await _grant(client, admin, record_kinds=["member"])
    members = f"/v1/tenants/{A}/members"
    listed = (await client.get(members, headers=staff)).json()["items"]
    target = next(m for m in listed if m["account_id"] == str(world.id("student2")))

    created = await client.post(
        members,
        json={"phone": "+8613800000999", "role": "teacher", "consent": consent()},
        headers=staff,
    )
    assert created.status_code == 404, created.text
    deactivated = await client.post(
        f"{members}/{target['id']}/deactivate", json={"reason": "left the school"}, headers=staff
    )
    assert deactivated.status_code == 404, deactivated.text

    after = (await client.get(f"{members}/{target['id']}", headers=admin)).json()
    assert after["status"] == target["status"] == "active"
    phones = {
        m.get("phone_masked") for m in (await client.get(members, headers=admin)).json()["items"]
    }
    assert "+86 138****0999" not in phones
