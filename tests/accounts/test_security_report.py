"""Reporting a compromised account: sessions end, an SMS code is needed, admins are told."""

from __future__ import annotations

from app.accounts import repository
from app.accounts.service import phone_hash
from app.core.phones import normalize
from tests.accounts.helpers import bearer, sign_in
from tests.factories import add_member

PHONE = "+8613700000031"
GOOD = "correct horse battery staple"
NORTH_ADMIN = "+8613800000001"
SECOND_ADMIN = "+8613800000032"


async def _outbox(owner, phone: str) -> list[str]:
    async with owner.db.session() as session:
        messages = await repository.outbox_for(session, phone_hash(owner.keys, normalize(phone)))
    return [m.body for m in messages]


async def test_report_ends_all_sessions_and_needs_an_sms_code(client, owner):
    """SEC-14: every session ends, a password no longer signs in until an SMS-code sign-in."""
    laptop = await sign_in(client, owner, PHONE, {"X-Device-Name": "laptop"})
    put = await client.put("/v1/me/password", json={"password": GOOD}, headers=bearer(laptop))
    assert put.status_code == 204
    phone = (await client.post("/v1/auth/password", json={"phone": PHONE, "password": GOOD})).json()
    reported = await client.post("/v1/me/security/report", headers=bearer(phone))
    assert reported.status_code == 201, reported.text
    body = reported.json()
    assert body["sessions_ended"] == 2 and body["school_admins_told"] == 0
    assert body["next_sign_in"] == "sms_code"
    for pair in (laptop, phone):
        r = await client.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert r.status_code == 401
    refused = await client.post("/v1/auth/password", json={"phone": PHONE, "password": GOOD})
    assert refused.status_code == 401
    assert refused.json()["type"].endswith("/code-required")
    fresh = await sign_in(client, owner, PHONE)  # a new SMS code
    assert (await client.get("/v1/me/sessions", headers=bearer(fresh))).json()["items"]
    again = await client.post("/v1/auth/password", json={"phone": PHONE, "password": GOOD})
    assert again.status_code == 200


async def test_a_school_admins_report_tells_the_other_admins(client, owner, schools):
    """SEC-14: the school's other admins get an SMS (the configured sender: here the outbox)."""
    await add_member(owner, schools["demo-north"], SECOND_ADMIN, "school_admin", "Second Admin")
    await add_member(owner, schools["demo-south"], PHONE, "student", "Some Student")
    admin = await sign_in(client, owner, NORTH_ADMIN)
    reported = await client.post("/v1/me/security/report", headers=bearer(admin))
    assert reported.status_code == 201, reported.text
    assert reported.json()["school_admins_told"] == 1
    told = await _outbox(owner, SECOND_ADMIN)
    assert len(told) == 1
    assert "North Demo School" in told[0] and "possibly compromised" in told[0]
    assert not [b for b in await _outbox(owner, NORTH_ADMIN) if "compromised" in b]
    assert not await _outbox(owner, PHONE)  # another school's student hears nothing


async def test_a_non_admins_report_tells_nobody(client, owner, schools):
    await add_member(owner, schools["demo-north"], PHONE, "student", "Some Student")
    pair = await sign_in(client, owner, PHONE)
    reported = await client.post("/v1/me/security/report", headers=bearer(pair))
    assert reported.json()["school_admins_told"] == 0
    assert not [b for b in await _outbox(owner, NORTH_ADMIN) if "compromised" in b]


async def test_report_needs_a_token(client):
    assert (await client.post("/v1/me/security/report")).status_code == 401
