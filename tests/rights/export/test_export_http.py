"""The self-service access export through HTTP on both databases (issue #13, RGT-1/RGT-2,
VIS-1, AUZ-4): every category is in the zip, nothing of a classmate, each school sees that
it was exported, a guardian can ask for a child, anyone else gets 404."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from typing import Any

import httpx
import pytest

from app.core.context import ServiceContext
from app.jobs.wiring import drain
from app.main import create_app
from app.rights.export.categories import FILE_NAMES
from tests.classroom.conftest import (
    CLASSMATE,
    GUARDIAN,
    NORTH_ADMIN,
    SOUTH_ADMIN,
    STUDENT,
    TEACHER,
    World,
)
from tests.rights.export.world import CLASSMATE_SECRET, FORMULA, fill, unzip

EVERY_CATEGORY = {
    "account", "memberships", "consent_attestations", "consent_withdrawals", "enrolments",
    "attendance", "lesson_summaries", "attendance_events", "behaviour", "tool_use", "answers",
    "diagnostics", "audit_entries", "recordings",
}  # fmt: skip


async def _export(
    client: httpx.AsyncClient, app: Any, headers: dict[str, str], **params: str
) -> str:
    started = await client.post("/v1/me/exports", headers=headers, params=params)
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "queued"
    export_id = str(started.json()["id"])
    early = await client.get(f"/v1/me/exports/{export_id}/download", headers=headers, params=params)
    assert early.status_code == 409  # not built yet
    await drain(app.state.ctx)
    return export_id


async def test_student_export_has_every_category_and_nothing_of_a_classmate(
    client: httpx.AsyncClient, app: Any, owner: ServiceContext, world: World, login: Any
) -> None:
    await fill(client, owner, world, login)
    student = await login(STUDENT)
    export_id = await _export(client, app, student)

    status = await client.get(f"/v1/me/exports/{export_id}", headers=student)
    assert status.status_code == 200 and status.json()["status"] == "ready"
    assert sorted(status.json()["schools"]) == ["demo-north", "demo-south"]
    files = status.json()["files"]
    assert set(files) == set(FILE_NAMES)
    empty = {name for name in EVERY_CATEGORY if files[name] == 0}
    assert not empty, f"categories without rows: {empty}"

    download = await client.get(f"/v1/me/exports/{export_id}/download", headers=student)
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    entries = unzip(download.content)
    assert {f"{n}.{ext}" for n in FILE_NAMES for ext in ("json", "csv")} | {"README.md"} == set(
        entries
    )
    everything = b"".join(entries.values()).decode("utf-8", "replace")
    classmate_name = "student 0202"  # the world's display name of the classmate
    for other in (world.user(CLASSMATE), CLASSMATE_SECRET, CLASSMATE, classmate_name):
        assert other not in everything, other
    assert "个人数据" in entries["README.md"].decode()  # the default language is Chinese

    answers = json.loads(entries["answers.json"])
    assert [a["data"]["question"] for a in answers] == [FORMULA]
    rows = list(csv.DictReader(io.StringIO(entries["answers.csv"].decode("utf-8-sig"))))
    assert json.loads(rows[0]["data"])["question"] == FORMULA  # inside JSON text: no formula
    account = json.loads(entries["account.json"])
    assert account[0]["phone"] == STUDENT
    recordings = json.loads(entries["recordings.json"])
    assert recordings and recordings[0]["link"].startswith("/v1/files/")
    fetched = await client.get(recordings[0]["link"])
    assert fetched.status_code == 200


async def test_formula_cells_are_neutralised_in_csv(
    client: httpx.AsyncClient, app: Any, owner: ServiceContext, world: World, login: Any
) -> None:
    """A display name beginning with = reaches the CSV as text ('=...), never as a formula."""
    from app.core.db import set_tenant
    from app.tenancy.models import Membership

    async with owner.db.session() as session:
        await set_tenant(session, world.north.id)
        table = Membership.__table__  # type: ignore[attr-defined]
        await session.execute(
            table.update()
            .where(table.c.account_id == world.people[STUDENT])
            .values(display_name="=cmd|' /C calc'!A0")
        )
    student = await login(STUDENT)
    export_id = await _export(client, app, student)
    download = await client.get(f"/v1/me/exports/{export_id}/download", headers=student)
    entries = unzip(download.content)
    rows = list(csv.DictReader(io.StringIO(entries["memberships.csv"].decode("utf-8-sig"))))
    assert rows[0]["display_name"] == "'=cmd|' /C calc'!A0"
    assert json.loads(entries["memberships.json"])[0]["display_name"] == "=cmd|' /C calc'!A0"


async def test_each_school_sees_the_export_once(
    client: httpx.AsyncClient, app: Any, owner: ServiceContext, world: World, login: Any
) -> None:
    await fill(client, owner, world, login)
    student = await login(STUDENT)
    export_id = await _export(client, app, student)
    await drain(app.state.ctx)  # a second run finds it done and writes nothing
    got = await client.get(f"/v1/me/exports/{export_id}/download", headers=student)
    assert got.status_code == 200
    for slug, admin_phone in (("demo-north", NORTH_ADMIN), ("demo-south", SOUTH_ADMIN)):
        admin = await login(admin_phone)
        audit = await client.get(
            f"/v1/tenants/{slug}/audit",
            headers=admin,
            params={"person": world.user(STUDENT), "kind": "rights_request", "limit": 500},
        )
        assert audit.status_code == 200, audit.text
        exported = [e for e in audit.json()["items"] if e["action"] == "export"]
        assert len(exported) == 1, slug
        assert exported[0]["detail"]["access_export"] == export_id
        assert exported[0]["purpose"] == "rights_handling"
        downloads = [e for e in audit.json()["items"] if e["action"] == "read"]
        assert [d["detail"]["access_export"] for d in downloads] == [export_id]


async def test_guardian_exports_for_a_child_in_english(
    client: httpx.AsyncClient, app: Any, owner: ServiceContext, world: World, login: Any
) -> None:
    await fill(client, owner, world, login)
    guardian = {**await login(GUARDIAN), "Accept-Language": "en-GB,en;q=0.9"}
    child = {"student": world.user(STUDENT)}
    export_id = await _export(client, app, guardian, **child)
    status = await client.get(f"/v1/me/exports/{export_id}", headers=guardian, params=child)
    assert status.json()["account_id"] == world.user(STUDENT)
    assert status.json()["requested_by"] == world.user(GUARDIAN)
    download = await client.get(
        f"/v1/me/exports/{export_id}/download", headers=guardian, params=child
    )
    assert download.status_code == 200
    entries = unzip(download.content)
    assert json.loads(entries["account.json"])[0]["phone"] == STUDENT
    assert "A copy of your personal data" in entries["README.md"].decode()
    # Not the guardian's child: 404, and nothing is queued.
    other = await client.post(
        "/v1/me/exports", headers=guardian, params={"student": world.user(CLASSMATE)}
    )
    assert other.status_code == 404


async def test_another_person_gets_404(
    client: httpx.AsyncClient, app: Any, owner: ServiceContext, world: World, login: Any
) -> None:
    student = await login(STUDENT)
    export_id = await _export(client, app, student)
    for phone in (CLASSMATE, NORTH_ADMIN, SOUTH_ADMIN, GUARDIAN):
        headers = await login(phone)
        for path in (f"/v1/me/exports/{export_id}", f"/v1/me/exports/{export_id}/download"):
            assert (await client.get(path, headers=headers)).status_code == 404, (phone, path)
    # The classmate cannot name the student as a child either.
    classmate = await login(CLASSMATE)
    as_child = await client.get(
        f"/v1/me/exports/{export_id}", headers=classmate, params={"student": world.user(STUDENT)}
    )
    assert as_child.status_code == 404
    assert (await client.post("/v1/me/exports")).status_code == 401


async def test_asking_again_while_it_is_built_answers_the_same_export(
    client: httpx.AsyncClient, app: Any, world: World, login: Any
) -> None:
    student = await login(STUDENT)
    first = await client.post("/v1/me/exports", headers=student)
    again = await client.post("/v1/me/exports", headers=student)
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]


async def test_teacher_export_names_no_student(
    client: httpx.AsyncClient, app: Any, owner: ServiceContext, world: World, login: Any
) -> None:
    """A teacher's own actions are in their export; whom they targeted is not (AUZ-4)."""
    await fill(client, owner, world, login)
    teacher = await login(TEACHER)
    export_id = await _export(client, app, teacher)
    download = await client.get(f"/v1/me/exports/{export_id}/download", headers=teacher)
    entries = unzip(download.content)
    actions = json.loads(entries["teaching_actions.json"])
    assert [(a["kind"], a["data"]["target"]) for a in actions] == [
        ("teacher.rewarded", "a participant")
    ]
    everything = b"".join(entries.values()).decode("utf-8", "replace")
    assert world.user(STUDENT) not in everything and world.user(CLASSMATE) not in everything


async def test_the_in_process_worker_builds_the_export(
    settings: Any, world: World, login: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make run`: the app's own lifespan runs the queue (SQLite by default; forced on here so
    PostgreSQL runs procrastinate inside the app too)."""
    monkeypatch.setenv("ROSTRA_JOBS_IN_PROCESS", "true")
    monkeypatch.setenv("ROSTRA_JOBS_POLL_SECONDS", "0.1")
    application = create_app(settings)
    transport = httpx.ASGITransport(app=application)
    student = await login(STUDENT)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://rostra.test") as own,
        application.router.lifespan_context(application),
    ):
        started = await own.post("/v1/me/exports", headers=student)
        export_id = started.json()["id"]
        for _ in range(300):
            status = await own.get(f"/v1/me/exports/{export_id}", headers=student)
            if status.json()["status"] == "ready":
                break
            await asyncio.sleep(0.1)
    await application.state.ctx.db.dispose()
    assert status.json()["status"] == "ready"


async def test_an_access_request_is_done_when_its_export_is_ready(
    client: httpx.AsyncClient, app: Any, owner: ServiceContext, world: World, login: Any
) -> None:
    """RGT-1/RGT-2: the request a person files starts the export; once the job has built it
    the request is done and `/v1/me/requests/{id}/download` streams the same zip."""
    student = await login(STUDENT)
    filed = await client.post("/v1/me/requests", json={"type": "access"}, headers=student)
    assert filed.status_code == 201, filed.text
    request_id = filed.json()["id"]
    early = await client.get(f"/v1/me/requests/{request_id}/download", headers=student)
    assert early.status_code == 409
    await drain(app.state.ctx)
    done = await client.get(f"/v1/me/requests/{request_id}", headers=student)
    assert done.json()["status"] == "done"
    assert "access export ready" in [step["note"] for step in done.json()["history"]]
    download = await client.get(f"/v1/me/requests/{request_id}/download", headers=student)
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    assert "README.md" in unzip(download.content)
    other = await client.get(
        f"/v1/me/requests/{request_id}/download", headers=await login(CLASSMATE)
    )
    assert other.status_code == 404
    complaint = await client.post("/v1/me/requests", json={"type": "complaint"}, headers=student)
    none = await client.get(f"/v1/me/requests/{complaint.json()['id']}/download", headers=student)
    assert none.status_code == 404
