"""A school leaves: the full export, the notice period (cancellable), then no row in any
tenant table and no object of the school, proved and signed, while another school is
untouched; people in no other school are offered cancellation. (TPS-8, RET-1)"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.accounts.models import Account
from app.cli import app as cli_app
from app.core import clock
from app.core.config import get_settings
from app.core.context import ServiceContext
from app.core.db import set_tenant
from app.jobs.wiring import drain
from app.lifecycle.deletion import count_rows, school_tables, verify
from app.lifecycle.models import DeletionProof
from app.schema import metadata, tenant_tables
from app.tenancy.repository import tenant_by_slug
from tests.classroom.conftest import (
    CLASSMATE,
    NORTH_ADMIN,
    SOUTH_ADMIN,
    STUDENT,
    TEACHER,
    World,
    event,
    send,
)
from tests.classroom.conftest import world as world  # the classroom fixture, reused
from tests.rights.export.world import VIDEO, fill, unzip

OFFBOARDING = "/v1/tenants/demo-north/offboarding"
DAY = 86400


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Any:
    monkeypatch.setenv("ROSTRA_ENV", "test")
    monkeypatch.setenv("ROSTRA_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ROSTRA_MIGRATE_DATABASE_URL", settings.owner_database_url)
    monkeypatch.setenv("ROSTRA_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("ROSTRA_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("ROSTRA_OBJECT_STORE_DIR", str(settings.object_store_dir))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def rostra(*args: str) -> Any:
    return await asyncio.to_thread(CliRunner().invoke, cli_app, list(args))


async def _south_data(client: httpx.AsyncClient, w: World, login: Any) -> None:
    answered = await send(
        client,
        w.south_key,
        [event(w, "attendance.joined", 0, lesson=w.south_lesson, who="+8613900000201")],
    )
    assert answered.status_code == 202, answered.text
    upload = await client.post(
        f"/v1/tenants/demo-south/lessons/{w.south_lesson}/recordings",
        headers=await login(SOUTH_ADMIN),
        files={"file": ("s.mp4", VIDEO, "video/mp4")},
        data={"notice_shown": "true", "duration_seconds": "60"},
    )
    assert upload.status_code == 201, upload.text


STAFF = "+8613600000009"


async def _make_staff(owner: ServiceContext) -> None:
    from sqlalchemy import update

    from app.accounts.service import get_or_create_account
    from app.core.phones import normalize

    async with owner.db.session() as session:
        staff, _ = await get_or_create_account(session, owner.keys, normalize(STAFF), "Staff")
        await session.execute(update(Account).where(Account.id == staff.id).values(is_staff=True))  # type: ignore[arg-type]


async def _rows(owner: ServiceContext, school: uuid.UUID) -> dict[str, int]:
    async with owner.db.session() as session:
        return await count_rows(session, school)


def _objects(root: Path, school: uuid.UUID) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and str(school) in str(p)]


def test_the_deletion_walks_every_tenant_table_of_the_schema() -> None:
    assert {t.name for t in school_tables()} == set(tenant_tables())
    assert len(metadata.tables) > len(tenant_tables())


async def test_offboarded_school_leaves_no_row_and_no_object_and_another_school_is_untouched(
    client: httpx.AsyncClient, app: Any, owner: ServiceContext, world: World, login: Any,
    settings: Any, cli_env: Any,
) -> None:  # fmt: skip
    await _make_staff(owner)
    await fill(client, owner, world, login)
    await _south_data(client, world, login)
    north, south = world.north.id, world.south.id
    south_before = await _rows(owner, south)
    south_objects = _objects(settings.object_store_dir, south)
    assert south_objects and _objects(settings.object_store_dir, north)

    admin = await login(NORTH_ADMIN)
    assert (await client.post(OFFBOARDING)).status_code == 401
    assert (await client.post(OFFBOARDING, headers=await login(TEACHER))).status_code == 403
    assert (await client.post(OFFBOARDING, headers=await login(SOUTH_ADMIN))).status_code == 404
    started = await client.post(OFFBOARDING, headers=admin)
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "scheduled" and not started.json()["export_ready"]
    again = await client.post(OFFBOARDING, headers=admin)
    assert again.json()["id"] == started.json()["id"]  # a retry: the same offboarding

    early = await client.get(f"{OFFBOARDING}/export", headers=admin)
    assert early.status_code == 202 and early.headers["retry-after"]
    await drain(app.state.ctx)
    download = await client.get(f"{OFFBOARDING}/export", headers=admin)
    assert download.status_code == 200, download.text
    entries = unzip(download.content)
    assert "roster/oneroster.zip" in entries and "README.md" in entries
    events = entries["tables/classroom_event.jsonl"].decode().splitlines()
    assert events and all(json.loads(line)["tenant_id"] == str(north) for line in events)
    assert entries["tables/auditentry.jsonl"] and entries["tables/lesson_rollup.jsonl"]
    assert [n for n in entries if n.startswith("objects/")] == [
        f"objects/{p.relative_to(settings.object_store_dir)}"
        for p in _objects(settings.object_store_dir, north) if "offboarding" not in str(p)
    ]  # fmt: skip
    assert (
        await client.get(f"{OFFBOARDING}/export", headers=await login(SOUTH_ADMIN))
    ).status_code == 404

    # Only the people of no other school are offered cancellation (the student is in two).
    offers = {}
    for phone in (CLASSMATE, STUDENT):
        listed = (await client.get("/v1/me/notices", headers=await login(phone))).json()["items"]
        offers[phone] = [n for n in listed if n["scope"] == "offboarding"]
    assert len(offers[CLASSMATE]) == 1 and offers[STUDENT] == []

    before = await _rows(owner, north)
    assert before["classroom_event"] and before["auditentry"] and before["membership"]
    early_run = await rostra("tenants", "offboard", "--due")
    assert early_run.exit_code == 0 and json.loads(early_run.output) == {"deleted": []}

    clock.advance(31 * DAY)
    done = await rostra("tenants", "offboard", "--due")
    assert done.exit_code == 0, done.output
    [proof_out] = json.loads(done.output)["deleted"]
    assert proof_out["slug"] == "demo-north" and proof_out["rows_before"] == before
    assert set(proof_out["rows_after"].values()) == {0}

    # The metadata walked again, as the owner: nothing of the school in any tenant table.
    async with owner.db.session() as session:
        await set_tenant(session, north)
        for name in tenant_tables():
            table = metadata.tables[name]
            left = (
                await session.execute(
                    select(func.count()).select_from(table).where(table.c.tenant_id == north)
                )
            ).scalar()
            assert left == 0, name
        assert await tenant_by_slug(session, "demo-north") is None  # the slug is free
        proof = (await session.execute(select(DeletionProof))).scalar_one()
        classmate = await session.get(Account, world.people[CLASSMATE])
    assert verify(settings, proof) and proof.objects_left == 0 and proof.objects_removed >= 2
    assert proof.accounts_offered_cancellation >= 1
    proof.rows_before["classroom_event"] += 1
    assert not verify(settings, proof)  # the signature covers the counts
    assert classmate is not None and classmate.status == "active"  # offered, not deleted
    assert _objects(settings.object_store_dir, north) == []
    assert await _rows(owner, south) == south_before
    assert all(p.exists() for p in south_objects)
    assert (await client.get(OFFBOARDING, headers=await login(NORTH_ADMIN))).status_code == 404
    south_read = await client.get(
        "/v1/tenants/demo-south/members", headers=await login(SOUTH_ADMIN)
    )
    assert south_read.status_code == 200

    staff_proof = f"/v1/platform/offboardings/{started.json()['id']}/proof"
    assert (await client.get(staff_proof, headers=await login(SOUTH_ADMIN))).status_code == 403
    read = await client.get(staff_proof, headers=await login(STAFF))
    assert read.status_code == 200 and read.json()["verified"] is True
    assert read.json()["rows_before"] == before

    rerun = await rostra("tenants", "offboard", "--due")  # nothing left to do
    assert json.loads(rerun.output) == {"deleted": []}


async def test_cancel_during_the_notice_period_keeps_everything(
    client: httpx.AsyncClient, app: Any, owner: ServiceContext, world: World, login: Any,
    cli_env: Any,
) -> None:  # fmt: skip
    await fill(client, owner, world, login)
    before = await _rows(owner, world.north.id)
    started = await rostra("tenants", "offboard", "demo-north")
    assert started.exit_code == 0, started.output
    assert json.loads(started.output)["status"] == "scheduled"
    admin = await login(NORTH_ADMIN)
    assert (await client.delete(OFFBOARDING, headers=await login(TEACHER))).status_code == 403
    cancelled = await client.delete(OFFBOARDING, headers=admin)
    assert cancelled.status_code == 204, cancelled.text
    assert (await client.delete(OFFBOARDING, headers=admin)).status_code == 404
    clock.advance(31 * DAY)
    await drain(app.state.ctx)  # the deletion job, due now, finds it cancelled
    assert json.loads((await rostra("tenants", "offboard", "--due")).output) == {"deleted": []}
    after = await _rows(owner, world.north.id)
    assert after["classroom_event"] == before["classroom_event"]
    assert (
        await client.get("/v1/tenants/demo-north/members", headers=await login(NORTH_ADMIN))
    ).status_code == 200


async def test_cancel_after_the_notice_period_is_refused(
    client: httpx.AsyncClient, app: Any, owner: ServiceContext, world: World, login: Any,
    cli_env: Any,
) -> None:  # fmt: skip
    admin = await login(NORTH_ADMIN)
    assert (await client.post(OFFBOARDING, headers=admin)).status_code == 202
    clock.advance(30 * DAY + 60)
    admin = await login(NORTH_ADMIN)
    refused = await client.delete(OFFBOARDING, headers=admin)
    assert refused.status_code == 409, refused.text
    cli_refused = await rostra("tenants", "offboard", "demo-north", "--cancel")
    assert cli_refused.exit_code == 1 and "notice period" in cli_refused.output
