"""A signed link names who it was issued to; using it checks their access again (#11)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import update

from app.accounts.models import Account
from app.core import clock
from app.core.db import set_tenant
from app.tenancy.models import Membership
from tests.classroom.conftest import NORTH_ADMIN, STUDENT, TEACHER
from tests.factories import mp4

VIDEO = mp4(b"lesson" * 100)


async def _recording(client, admin, world) -> str:
    created = await client.post(
        f"/v1/tenants/demo-north/lessons/{world.lesson}/recordings",
        headers=admin,
        files={"file": ("r.mp4", VIDEO, "video/mp4")},
        data={"notice_shown": "true"},
    )
    assert created.status_code == 201, created.text
    rec: str = created.json()["id"]
    return rec


async def test_revoking_a_grant_ends_the_links_already_issued(client, login, world):
    """AUZ-5: the student's link stops working once the grant is revoked, before it expires."""
    admin = await login(NORTH_ADMIN)
    rec = await _recording(client, admin, world)
    grants = f"/v1/tenants/demo-north/recordings/{rec}/grants"
    expires = (clock.now() + timedelta(days=1)).isoformat()
    grant = await client.post(grants, json={"phone": STUDENT, "expires_at": expires}, headers=admin)
    assert grant.status_code == 201, grant.text
    student = await login(STUDENT)
    link = await client.get(f"/v1/tenants/demo-north/recordings/{rec}/link", headers=student)
    url = link.json()["url"]
    assert (await client.get(url)).content == VIDEO

    revoked = await client.delete(f"{grants}/{grant.json()['id']}", headers=admin)
    assert revoked.status_code == 204
    refused = await client.get(url)
    assert refused.status_code == 404
    assert refused.headers["content-type"] == "application/problem+json"
    # The admin's own link, issued on the admin's role, still works.
    own = await client.get(f"/v1/tenants/demo-north/recordings/{rec}/link", headers=admin)
    assert (await client.get(own.json()["url"])).status_code == 200


async def test_a_teacher_who_leaves_the_school_loses_their_links(client, login, owner, world):
    admin = await login(NORTH_ADMIN)
    rec = await _recording(client, admin, world)
    teacher = await login(TEACHER)
    link = await client.get(f"/v1/tenants/demo-north/recordings/{rec}/link", headers=teacher)
    url = link.json()["url"]
    assert (await client.get(url)).status_code == 200
    async with owner.db.session() as session:
        await set_tenant(session, world.north.id)
        await session.execute(
            update(Membership)
            .where(
                Membership.tenant_id == world.north.id,
                Membership.account_id == world.people[TEACHER],
            )
            .values(status="inactive")
        )
    assert (await client.get(url)).status_code == 404


async def test_a_deactivated_account_loses_its_links(client, login, owner, world):
    admin = await login(NORTH_ADMIN)
    rec = await _recording(client, admin, world)
    link = await client.get(f"/v1/tenants/demo-north/recordings/{rec}/link", headers=admin)
    url = link.json()["url"]
    assert (await client.get(url)).status_code == 200
    async with owner.db.session() as session:
        admin_id = (await client.get("/v1/me", headers=admin)).json()["id"]
        admin_id = uuid.UUID(admin_id)
        await session.execute(update(Account).where(Account.id == admin_id).values(status="locked"))
    assert (await client.get(url)).status_code == 404
