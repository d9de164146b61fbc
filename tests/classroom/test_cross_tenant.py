"""Every classroom endpoint answers another school's records exactly like missing ones (404)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from app.authz.models import AuditEntry
from app.core import clock
from app.core.db import set_tenant
from tests.classroom.conftest import NORTH_ADMIN, SOUTH_ADMIN, STUDENT, event, send
from tests.conftest import cross_school
from tests.factories import mp4

pytestmark = cross_school  # also as the owner: the code's own tenant predicates, without RLS


async def test_south_admin_gets_404_for_everything_of_north(client, login, world):
    north = await login(NORTH_ADMIN)
    files = {"file": ("r.mp4", mp4(b"video"), "video/mp4")}
    created = await client.post(
        f"/v1/tenants/demo-north/lessons/{world.lesson}/recordings",
        headers=north,
        files=files,
        data={"notice_shown": "true"},
    )
    rec = created.json()["id"]
    expires = (clock.now() + timedelta(days=1)).isoformat()
    grant = await client.post(
        f"/v1/tenants/demo-north/recordings/{rec}/grants",
        json={"phone": STUDENT, "expires_at": expires},
        headers=north,
    )
    grant_id = grant.json()["id"]
    keys = await client.get("/v1/tenants/demo-north/api-keys", headers=north)
    key_id = keys.json()["items"][0]["id"]

    south = await login(SOUTH_ADMIN)
    for slug in ("demo-north", "demo-south"):
        base = f"/v1/tenants/{slug}"
        lesson = f"{base}/lessons/{world.lesson}"
        calls = [
            ("GET", f"{lesson}/events", {}),
            ("GET", f"{lesson}/attendance", {}),
            ("GET", f"{lesson}/rollups", {}),
            ("GET", f"{lesson}/recordings", {}),
            ("GET", f"{lesson}/snapshots", {}),
            ("POST", f"{lesson}/recordings", {"files": files, "data": {"notice_shown": "true"}}),
            ("GET", f"{base}/recordings/{rec}/link", {}),
            (
                "POST",
                f"{base}/recordings/{rec}/grants",
                {"json": {"phone": STUDENT, "expires_at": expires}},
            ),
            ("DELETE", f"{base}/recordings/{rec}/grants/{grant_id}", {}),
            ("DELETE", f"{base}/api-keys/{key_id}", {}),
        ]
        if slug == "demo-north":
            calls += [
                ("GET", f"{base}/api-keys", {}),
                ("POST", f"{base}/api-keys", {"json": {"name": "x"}}),
                ("POST", f"/v1/me/consents/camera/withdraw?school={slug}", {}),
            ]
        for method, url, kw in calls:
            response = await client.request(method, url, headers=south, **kw)
            assert response.status_code == 404, (method, url, response.status_code)
    # The north records are untouched: the grant and the key still work.
    assert (await send(client, world.key, [event(world, "attendance.joined")])).status_code == 202
    student = await login(STUDENT)
    link = await client.get(f"/v1/tenants/demo-north/recordings/{rec}/link", headers=student)
    assert link.status_code == 200
    missing = await client.get(
        f"/v1/tenants/demo-north/recordings/{uuid.uuid4()}/link", headers=north
    )
    assert missing.status_code == 404


async def test_ingestion_is_audited_as_the_api_key(client, owner, world):
    await send(client, world.key, [event(world, "attendance.joined")])
    await send(client, world.key, [event(world, "attendance.joined", cid="dup")])
    await send(client, world.key, [event(world, "attendance.joined", cid="dup")])  # no change
    async with owner.db.session() as session:
        await set_tenant(session, world.north.id)
        entries = (
            (
                await session.execute(
                    select(AuditEntry).where(
                        AuditEntry.tenant_id == world.north.id, AuditEntry.actor_kind == "api_key"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert [e.record_kind for e in entries] == ["classroom_event", "classroom_event"]
    assert all(e.subject_count == 1 for e in entries)
