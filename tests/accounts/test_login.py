"""Phone login end to end: SMS code, tokens, refresh rotation (ACC-1, ACC-6, SEC-2)."""

from __future__ import annotations

import uuid

import httpx

from app.accounts.models import Account
from app.core import clock
from tests.conftest import latest_code

PHONE = "+8613700000009"


async def _code(client: httpx.AsyncClient, owner, phone: str = PHONE) -> str:
    response = await client.post("/v1/auth/otp", json={"phone": phone})
    assert response.status_code == 202, response.text
    return await latest_code(owner, phone)


async def test_login_flow_and_me(client, owner):
    code = await _code(client, owner)
    token = await client.post("/v1/auth/token", json={"phone": "137 0000 0009", "code": code})
    assert token.status_code == 200
    body = token.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 15 * 60
    me = await client.get("/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["phone"] == PHONE
    assert me.json()["phone_masked"] == "+86 137****0009"
    assert me.json()["memberships"] == []
    assert me.headers["X-Request-ID"]


async def test_equivalent_phone_formats_are_one_person(client, owner):
    code = await _code(client, owner, "13700000009")
    first = await client.post("/v1/auth/token", json={"phone": "+86 137 0000 0009", "code": code})
    clock.advance(61)
    code = await _code(client, owner, "+8613700000009")
    second = await client.post("/v1/auth/token", json={"phone": "13700000009", "code": code})
    ids = []
    for tok in (first, second):
        me = await client.get(
            "/v1/me", headers={"Authorization": f"Bearer {tok.json()['access_token']}"}
        )
        ids.append(me.json()["id"])
    assert ids[0] == ids[1]


async def test_invalid_phone_is_422_naming_the_field(client):
    response = await client.post("/v1/auth/otp", json={"phone": "12345"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["field"] == "phone"


async def test_wrong_code_then_too_many_tries(client, owner):
    code = await _code(client, owner)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        r = await client.post("/v1/auth/token", json={"phone": PHONE, "code": wrong})
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/problem+json")
    # Five wrong tries used the code up: even the right one no longer works.
    r = await client.post("/v1/auth/token", json={"phone": PHONE, "code": code})
    assert r.status_code == 401


async def test_expired_code(client, owner):
    code = await _code(client, owner)
    clock.advance(301)
    r = await client.post("/v1/auth/token", json={"phone": PHONE, "code": code})
    assert r.status_code == 401


async def test_resend_too_soon_and_daily_limit(client, owner):
    await _code(client, owner)
    again = await client.post("/v1/auth/otp", json={"phone": PHONE})
    assert again.status_code == 429
    assert 0 < int(again.headers["Retry-After"]) <= 60
    for _ in range(9):
        clock.advance(61)
        assert (await client.post("/v1/auth/otp", json={"phone": PHONE})).status_code == 202
    clock.advance(61)
    limited = await client.post("/v1/auth/otp", json={"phone": PHONE})
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 60


async def test_same_answer_with_or_without_account(client, owner, schools):
    known = await client.post("/v1/auth/otp", json={"phone": "+8613800000001"})
    unknown = await client.post("/v1/auth/otp", json={"phone": "+8613800000777"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()


async def test_refresh_rotation_and_reuse_revokes_family(client, owner):
    code = await _code(client, owner)
    first = (await client.post("/v1/auth/token", json={"phone": PHONE, "code": code})).json()
    second = await client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    new_refresh = second.json()["refresh_token"]
    assert new_refresh != first["refresh_token"]
    reuse = await client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401
    # The reuse ended the whole family, including the token issued by the rotation.
    after = await client.post("/v1/auth/refresh", json={"refresh_token": new_refresh})
    assert after.status_code == 401


async def test_logout_revokes_refresh(client, owner):
    code = await _code(client, owner)
    pair = (await client.post("/v1/auth/token", json={"phone": PHONE, "code": code})).json()
    out = await client.post("/v1/auth/logout", json={"refresh_token": pair["refresh_token"]})
    assert out.status_code == 204
    again = await client.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 401


async def test_missing_expired_or_tampered_token_is_401(client, owner):
    assert (await client.get("/v1/me")).status_code == 401
    code = await _code(client, owner)
    pair = (await client.post("/v1/auth/token", json={"phone": PHONE, "code": code})).json()
    token = pair["access_token"]
    head, payload, sig = token.split(".")
    tampered = f"{head}.{payload}.{sig[:-2]}{'AA' if sig[-2:] != 'AA' else 'BB'}"
    r = await client.get("/v1/me", headers={"Authorization": f"Bearer {tampered}"})
    assert r.status_code == 401
    clock.advance(15 * 60 + 1)
    r = await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


async def test_jwks_serves_the_public_key(client):
    keys = (await client.get("/.well-known/jwks.json")).json()["keys"]
    assert keys[0]["kty"] == "EC" and keys[0]["alg"] == "ES256" and "d" not in keys[0]


async def test_code_still_works_one_second_before_it_expires(client, owner):
    """A code lives `otp_ttl_seconds`: one second before, it signs in; at the end, not (ACC-6)."""
    code = await _code(client, owner)
    clock.advance(owner.settings.otp_ttl_seconds - 1)
    r = await client.post("/v1/auth/token", json={"phone": PHONE, "code": code})
    assert r.status_code == 200, r.text
    clock.advance(61)
    code = await _code(client, owner)
    clock.advance(owner.settings.otp_ttl_seconds)
    r = await client.post("/v1/auth/token", json={"phone": PHONE, "code": code})
    assert r.status_code == 401


async def test_an_account_that_is_no_longer_active_gets_no_tokens(client, owner):
    """A suspended account: its access token, its refresh token and a new code all fail (SEC-2)."""
    code = await _code(client, owner)
    pair = (await client.post("/v1/auth/token", json={"phone": PHONE, "code": code})).json()
    bearer = {"Authorization": f"Bearer {pair['access_token']}"}
    account_id = (await client.get("/v1/me", headers=bearer)).json()["id"]
    async with owner.db.session() as session:
        account = await session.get(Account, uuid.UUID(account_id))
        assert account is not None
        account.status = "suspended"

    refreshed = await client.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 401
    assert "access_token" not in refreshed.json()
    assert (await client.get("/v1/me", headers=bearer)).status_code == 401
    clock.advance(61)
    code = await _code(client, owner)
    login = await client.post("/v1/auth/token", json={"phone": PHONE, "code": code})
    assert login.status_code == 401
    assert login.json()["detail"] == "this account cannot sign in"
    assert "access_token" not in login.json()
