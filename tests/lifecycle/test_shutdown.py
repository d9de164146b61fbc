"""The service's shutdown: announced ahead to every person and school, shown at sign-in and
publicly, a valid ground of deletion, and after the date every school deleted and every
account anonymised, each with its whole-school entry in the deletion log.
(SHD-1, SHD-2, SHD-3, SHD-4)"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from app.accounts.models import Account
from app.core import clock
from app.core.context import ServiceContext
from app.jobs.wiring import drain
from app.lifecycle.models import DeletionProof
from app.retention.models import DeletionLog
from app.schema import metadata, tenant_tables
from tests.lifecycle.helpers import texts_to
from tests.lifecycle.test_offboarding import cli_env as cli_env  # the fixture, reused
from tests.lifecycle.test_offboarding import rostra
from tests.privacy.people import CHILD, NORTH_ADMIN, SOUTH_ADMIN, STAFF, STUDENT, People
from tests.rights.helpers import fresh_code

SHUTDOWN = "/v1/platform/shutdown"
DAY = 86400


def _ends(days: int) -> str:
    return (clock.now() + timedelta(days=days)).isoformat()


async def test_shutdown_is_announced_ahead_to_everyone_and_shown_at_sign_in(
    client: httpx.AsyncClient, app: Any, owner: ServiceContext, login: Any, people: People
) -> None:
    """SHD-1/SHD-2: in the app for every person, by SMS for each school's admins, at sign-in."""
    assert (await client.get("/v1/service/status")).json()["status"] == "operating"
    staff = await login(STAFF)
    body = {"ends_at": _ends(40), "message_zh": "感谢使用。", "message_en": "Thank you."}
    assert (
        await client.post(SHUTDOWN, json=body, headers=await login(NORTH_ADMIN))
    ).status_code == 403
    soon = await client.post(SHUTDOWN, json={**body, "ends_at": _ends(5)}, headers=staff)
    assert soon.status_code == 422 and "ends_at" in soon.text
    created = await client.post(SHUTDOWN, json=body, headers=staff)
    assert created.status_code == 201, created.text
    assert (await client.post(SHUTDOWN, json=body, headers=staff)).status_code == 200  # a retry
    other = await client.post(SHUTDOWN, json={**body, "ends_at": _ends(50)}, headers=staff)
    assert other.status_code == 409
    await drain(app.state.ctx)

    status = (await client.get("/v1/service/status")).json()
    assert status["status"] == "closing" and "Thank you." in status["service_notice"]["message_en"]
    for phone in (STUDENT, CHILD, NORTH_ADMIN, STAFF):
        listed = (await client.get("/v1/me/notices", headers=await login(phone))).json()["items"]
        shutdown = [n for n in listed if n["scope"] == "shutdown"]
        assert len(shutdown) == 1 and "感谢使用" in shutdown[0]["summary"], phone
    for admin in (NORTH_ADMIN, SOUTH_ADMIN):
        assert await texts_to(owner, admin, "感谢使用"), admin
    assert await texts_to(owner, STUDENT, "感谢使用") == []  # people are told in the app

    code = await fresh_code(client, owner, STUDENT)
    token = await client.post("/v1/auth/token", json={"phone": STUDENT, "code": code})
    assert token.status_code == 200
    assert token.json()["service_notice"]["kind"] == "shutdown"


async def test_shutdown_is_a_ground_of_deletion(
    client: httpx.AsyncClient, owner: ServiceContext, login: Any, people: People
) -> None:
    """SHD-4: a deletion request on the ground that the service ends is accepted."""
    headers = await login(STUDENT)
    code = await fresh_code(client, owner, STUDENT)
    body = {"type": "deletion", "grounds": "service_ended", "sms_code": code}
    filed = await client.post("/v1/me/requests", json=body, headers=headers)
    assert filed.status_code == 201, filed.text
    assert filed.json()["grounds"] == "service_ended"


async def test_after_the_date_every_school_is_deleted_and_every_account_anonymised(
    client: httpx.AsyncClient, app: Any, owner: ServiceContext, login: Any, people: People,
    cli_env: Any,
) -> None:  # fmt: skip
    """SHD-3, through the CLI: nothing of any school remains, accounts keep only their id."""
    scheduled = await rostra("shutdown", "schedule", _ends(31), "--message-en", "Bye.")
    assert scheduled.exit_code == 0, scheduled.output
    await drain(app.state.ctx)  # the announcement and each school's export
    early = await rostra("shutdown", "finish")
    assert early.exit_code == 1 and "no shutdown is due" in early.output

    clock.advance(32 * DAY)
    done = await rostra("shutdown", "finish")
    assert done.exit_code == 0, done.output
    assert sorted(__import__("json").loads(done.output)["schools_deleted"]) == [
        "demo-north",
        "demo-south",
    ]
    async with owner.db.session() as session:
        for name in tenant_tables():
            table = metadata.tables[name]
            assert (await session.execute(select(func.count()).select_from(table))).scalar() == 0, (
                name
            )
        proofs = (await session.execute(select(DeletionProof))).scalars().all()
        student = await session.get(Account, people.ids[STUDENT])
        schools = await session.execute(
            select(DeletionLog.school_id, DeletionLog.category, DeletionLog.row_count).where(
                DeletionLog.action == "school"  # type: ignore[arg-type]
            )
        )
        logged = sorted(schools.all())
    assert len(proofs) == 2
    # Each school's whole-school entry, which a restore's replay deletes again (RET-6).
    assert logged == sorted((p.school_id, "shutdown", sum(p.rows_before.values())) for p in proofs)
    assert student is not None and student.status == "closed" and student.phone_enc == ""
    assert (await client.get("/v1/service/status")).json()["status"] == "closed"


async def test_a_cancelled_shutdown_offboards_no_school(
    client: httpx.AsyncClient, app: Any, owner: ServiceContext, login: Any, people: People
) -> None:
    staff = await login(STAFF)
    body = {"ends_at": _ends(40)}
    assert (await client.post(SHUTDOWN, json=body, headers=staff)).status_code == 201
    assert (await client.delete(SHUTDOWN, headers=await login(NORTH_ADMIN))).status_code == 403
    assert (await client.delete(SHUTDOWN, headers=staff)).status_code == 204
    assert (await client.delete(SHUTDOWN, headers=staff)).status_code == 404
    assert (await client.get("/v1/service/status")).json()["status"] == "operating"
    admin = await login(NORTH_ADMIN)
    assert (
        await client.get("/v1/tenants/demo-north/offboarding", headers=admin)
    ).status_code == 404
