"""Recording links in an access export are checked when used, not only when written (#11)."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import update

from app.accounts.models import Account
from app.core.context import ServiceContext
from app.jobs.wiring import drain
from tests.classroom.conftest import STUDENT, World
from tests.rights.export.world import fill, unzip


async def test_an_exports_recording_link_stops_when_its_holder_is_gone(
    client: httpx.AsyncClient, app: Any, owner: ServiceContext, world: World, login: Any
) -> None:
    """RGT-1: the link works for a week, but only while the person's account is live."""
    await fill(client, owner, world, login)
    student = await login(STUDENT)
    started = await client.post("/v1/me/exports", headers=student)
    await drain(app.state.ctx)
    download = await client.get(f"/v1/me/exports/{started.json()['id']}/download", headers=student)
    recordings = json.loads(unzip(download.content)["recordings.json"])
    link = recordings[0]["link"]
    assert (await client.get(link)).status_code == 200

    async with owner.db.session() as session:
        await session.execute(
            update(Account).where(Account.id == world.people[STUDENT]).values(status="cancelled")
        )
    assert (await client.get(link)).status_code == 404
