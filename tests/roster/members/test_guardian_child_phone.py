"""A guardian gives their child the child's own phone (#14; MIN-4: the guardian acts for the
minor; PRX-6: one account per number). A learner registered under the guardian's number
gets a number of their own through `POST /v1/me/children/{member_id}/phone`, proven by the
SMS code `POST /v1/auth/otp` sent to that number; the child then signs in on the same
account. A guardian of another child, a teacher, or another school's guardian gets 404;
the change is in the school's audit log."""

from __future__ import annotations

from app.core import clock
from tests.conftest import latest_code
from tests.roster.helpers import NORTH, NORTH_ADMIN, SOUTH_ADMIN
from tests.roster.imports.test_roster_import import upload
from tests.roster.imports.test_roster_learners_without_phone import (
    DAD,
    MUM,
    TEACHER,
    _members,
    family_zip,
)

OWN = "13800002061"


async def _code_to(client, owner, phone: str) -> str:
    sent = await client.post("/v1/auth/otp", json={"phone": phone})
    if sent.status_code == 429:
        clock.advance(61)
        sent = await client.post("/v1/auth/otp", json={"phone": phone})
    assert sent.status_code == 202, sent.text
    return await latest_code(owner, phone)


def _url(member_id: str) -> str:
    return f"/v1/me/children/{member_id}/phone"


async def test_a_guardian_adds_their_childs_own_phone_with_the_code_sent_to_it(
    client, schools, login, owner
):
    admin = await login(NORTH_ADMIN)
    assert (await upload(client, admin, family_zip())).status_code == 200
    kid = (await _members(client, admin))["Chen Yi"]
    mum = await login(MUM)

    wrong = await client.post(_url(kid["id"]), json={"phone": OWN, "code": "000000"}, headers=mum)
    assert wrong.status_code == 422, wrong.text
    assert wrong.json()["errors"][0]["field"] == "code"
    assert (await _members(client, admin))["Chen Yi"]["phone_masked"] == ""  # nothing written

    code = await _code_to(client, owner, OWN)
    r = await client.post(_url(kid["id"]), json={"phone": OWN, "code": code}, headers=mum)
    assert r.status_code == 200, r.text
    assert r.json()["account_id"] == kid["account_id"]
    assert r.json()["phone_masked"] == "+86 138****2061"
    # A retry (the code is used up) changes nothing and still answers 200.
    again = await client.post(_url(kid["id"]), json={"phone": OWN, "code": code}, headers=mum)
    assert again.status_code == 200 and again.json()["account_id"] == kid["account_id"]

    child = await login(OWN)
    assert (await client.get("/v1/me", headers=child)).json()["id"] == kid["account_id"]
    own = (await client.get(f"{NORTH}/enrollments", headers=child)).json()["items"]
    assert [e["display_name"] for e in own] == ["Chen Yi"]
    still = await client.get(f"{NORTH}/members/{kid['id']}", headers=mum)
    assert still.status_code == 200  # still the guardian's child

    # Once the child has a number, the guardian cannot swap it for another.
    other = await _code_to(client, owner, "13800002062")
    swap = {"phone": "13800002062", "code": other}
    assert (await client.post(_url(kid["id"]), json=swap, headers=mum)).status_code == 409

    # In the school's audit log, with the guardian as the actor and the child as subject.
    log = await client.get(f"{NORTH}/audit", params={"person": kid["account_id"]}, headers=admin)
    assert log.status_code == 200, log.text
    mine = (await client.get("/v1/me", headers=mum)).json()["id"]
    entries = [e for e in log.json()["items"] if e["detail"].get("by") == "guardian"]
    assert {e["actor_id"] for e in entries} == {mine}
    assert sorted(e["detail"]["own_phone_added"] for e in entries) == [False, True]


async def test_only_the_childs_own_guardian_may_and_never_another_persons_number(
    client, schools, login, owner
):
    admin = await login(NORTH_ADMIN)
    assert (await upload(client, admin, family_zip())).status_code == 200
    roster = await _members(client, admin)
    kid, zhao = roster["Chen Yi"], roster["Zhao San"]
    code = await _code_to(client, owner, OWN)
    body = {"phone": OWN, "code": code}
    # Another family's guardian, a teacher, another school's admin, and the guardian for a
    # member who is not a child (herself, a teacher): 404 alike.
    for who in (await login(DAD), await login(TEACHER), await login(SOUTH_ADMIN)):
        assert (await client.post(_url(kid["id"]), json=body, headers=who)).status_code == 404
    mum = await login(MUM)
    for member in (roster["Mum Chen"], roster["Teacher Wu"], zhao):
        r = await client.post(_url(member["id"]), json=body, headers=mum)
        assert r.status_code == 404, member
    assert (await client.post(_url("not-an-id"), json=body, headers=mum)).status_code == 404

    # A number that is another person's account: 409, nothing moves.
    taken = await client.post(
        _url(kid["id"]), json={"phone": TEACHER, "code": "123456"}, headers=mum
    )
    assert taken.status_code == 409
    bad = await client.post(_url(kid["id"]), json={"phone": "12", "code": code}, headers=mum)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "phone"
    assert (await _members(client, admin))["Chen Yi"]["phone_masked"] == ""
    # The code was not used up by those refusals: the guardian still gives it.
    ok = await client.post(_url(kid["id"]), json=body, headers=mum)
    assert ok.status_code == 200, ok.text
