"""Account cancellation: each precondition by code, then irreversible (RGT-11..16, RET-8)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.accounts.models import Account
from app.core.db import set_tenant
from app.rights.models import AccountHold
from app.roster.models import Course, Enrollment
from app.tenancy.models import Membership
from tests.privacy.people import NORTH_ADMIN, SOUTH_ADMIN, STUDENT, People
from tests.rights.helpers import fresh_code, routed


async def _hold(owner, people: People, kind: str) -> None:
    async with owner.db.session() as session:
        session.add(AccountHold(account_id=people.ids[STUDENT], kind=kind, reason="test"))


async def _course_running(owner, people: People) -> None:
    async with owner.db.session() as session:
        await set_tenant(session, people.north.id)
        course = Course(
            tenant_id=people.north.id,
            code="LONG-1",
            name="A long course",
            starts_on=date(2026, 1, 1),
            ends_on=date(2099, 1, 1),
        )
        session.add(course)
        await session.flush()
        session.add(
            Enrollment(
                tenant_id=people.north.id,
                course_id=course.id,
                account_id=people.ids[STUDENT],
                role="student",
            )
        )


async def _setup(code, client, owner, login, people):
    headers = await login(STUDENT)
    if code == "normal_status":
        await _hold(owner, people, "suspension")
    elif code == "no_open_dispute":
        membership = people.memberships[("demo-south", STUDENT)]
        disputed = await client.post(f"/v1/me/memberships/{membership}/dispute", headers=headers)
        assert disputed.status_code == 201, disputed.text
    elif code == "no_unfinished_course":
        await _course_running(owner, people)
    elif code == "no_restriction":
        await _hold(owner, people, "authority")
    elif code == "no_outstanding_obligation":
        open_ = await client.post(
            "/v1/me/requests", json={"type": "correction", "details": "x"}, headers=headers
        )
        assert open_.status_code == 201
    return headers


async def _cancel(client, owner, headers, erasure="anonymise"):
    code = await fresh_code(client, owner, STUDENT)
    body = {"type": "cancellation", "erasure": erasure, "sms_code": code}
    return await client.post("/v1/me/requests", json=body, headers=headers)


PRECONDITIONS = [
    "normal_status",
    "no_open_dispute",
    "no_unfinished_course",
    "no_restriction",
    "no_outstanding_obligation",
]


@pytest.mark.parametrize("code", PRECONDITIONS)
async def test_cancellation_is_refused_for_each_failed_precondition(
    code, client, owner, login, people
):
    headers = await _setup(code, client, owner, login, people)
    refused = await _cancel(client, owner, headers)
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["failed"] == [code]
    mine = (await client.get("/v1/me/requests", headers=headers)).json()["items"]
    assert all(r["type"] != "cancellation" for r in mine)  # nothing was written


async def test_every_failed_precondition_is_listed(client, owner, login, people):
    headers = await login(STUDENT)
    for code in PRECONDITIONS:
        await _setup(code, client, owner, login, people)
    refused = await _cancel(client, owner, headers)
    assert refused.status_code == 409 and refused.json()["failed"] == PRECONDITIONS


async def test_cancellation_needs_an_erasure_choice_and_a_fresh_code(client, owner, login, people):
    headers = await login(STUDENT)
    no_choice = await client.post(
        "/v1/me/requests", json={"type": "cancellation", "sms_code": "1"}, headers=headers
    )
    assert no_choice.status_code == 422 and no_choice.json()["field"] == "erasure"
    no_code = await client.post(
        "/v1/me/requests", json={"type": "cancellation", "erasure": "delete"}, headers=headers
    )
    assert no_code.status_code == 422 and no_code.json()["field"] == "sms_code"


async def test_cancellation_is_irreversible_frees_the_number_and_tells_each_school(
    client, owner, login, people
):
    headers = await login(STUDENT)
    done = await _cancel(client, owner, headers)
    assert done.status_code == 201, done.text
    body = done.json()
    assert body["status"] == "done" and body["erasure"] == "anonymise"
    assert set(routed(body)) == {"platform", "demo-north", "demo-south"}

    # The old session no longer works; the account's identifiers are gone.
    assert (await client.get("/v1/me/requests", headers=headers)).status_code == 401
    old_id = people.ids[STUDENT]
    async with owner.db.session() as session:
        old = await session.get(Account, old_id)
        assert old is not None
        assert (old.status, old.phone_masked, old.phone_enc) == ("cancelled", "cancelled", "")
        memberships = (
            await session.execute(select(Membership).where(Membership.account_id == old_id))  # type: ignore[arg-type]
        ).scalars()
        assert {m.status for m in memberships} == {"inactive"}

    # Each school is told which memberships ended.
    for slug, admin in (("demo-north", NORTH_ADMIN), ("demo-south", SOUTH_ADMIN)):
        items = await client.get(f"/v1/tenants/{slug}/requests", headers=await login(admin))
        part = items.json()["items"][0]
        assert (part["type"], part["status"]) == ("cancellation", "done")
        assert "memberships ended: student" in [h["note"] for h in part["history"]]

    # The number is free: signing in with it makes a new, empty account.
    again = await login(STUDENT)
    mine = await client.get("/v1/me/requests", headers=again)
    assert mine.status_code == 200 and mine.json()["items"] == []


async def test_cancellation_with_delete_asks_each_school_to_decide_on_its_records(
    client, owner, login, people, settings
):
    headers = await login(STUDENT)
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"0" * 32
    put = await client.put(
        "/v1/me/profile/avatar", files={"file": ("me.png", png, "image/png")}, headers=headers
    )
    assert put.status_code == 200, put.text
    await client.patch("/v1/me/profile", json={"nickname": "Kit"}, headers=headers)
    done = await _cancel(client, owner, headers, erasure="delete")
    assert done.status_code == 201
    parts = routed(done.json())
    assert parts["platform"]["status"] == "done"
    assert parts["demo-north"]["status"] == "identity_verified"
    assert done.json()["status"] == "in_progress"
    admin = await login(NORTH_ADMIN)
    decided = await client.post(
        f"/v1/tenants/demo-north/requests/{parts['demo-north']['id']}/decide",
        json={"decision": "approve"},
        headers=admin,
    )
    assert decided.status_code == 200 and decided.json()["status"] == "done"
    async with owner.db.session() as session:
        old = await session.get(Account, people.ids[STUDENT])
        assert old is not None and old.display_name is None
        # The profile went with the account (ACC-3): no nickname, no avatar object.
        assert (old.nickname, old.avatar_key) == (None, None)
    avatars = settings.object_store_dir / "accounts" / str(people.ids[STUDENT]) / "avatar"
    assert not avatars.exists() or not any(avatars.iterdir())
