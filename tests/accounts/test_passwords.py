"""Optional passwords: setting one, strength rules, sign-in, lockout, rehash (ACC-5, SEC-2)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from app.accounts.models import Account
from app.accounts.service import phone_hash
from app.core import clock
from app.main import create_app
from tests.accounts.helpers import bearer, send_code, sign_in

PHONE = "+8613700000021"
GOOD = "correct horse battery staple"


async def _with_password(client, owner, password: str = GOOD) -> dict[str, str]:
    pair = await sign_in(client, owner, PHONE, {"X-Device-Name": "first"})
    put = await client.put("/v1/me/password", json={"password": password}, headers=bearer(pair))
    assert put.status_code == 204, put.text
    return pair


async def test_set_password_then_sign_in_with_it(client, owner):
    """ACC-10."""
    await _with_password(client, owner)
    token = await client.post(
        "/v1/auth/password", json={"phone": "137 0000 0021", "password": GOOD}
    )
    assert token.status_code == 200, token.text
    body = token.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 15 * 60
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    me = await client.get("/v1/me", headers=bearer(body))
    assert me.json()["phone"] == PHONE
    sessions = (await client.get("/v1/me/sessions", headers=bearer(body))).json()["items"]
    assert {s["signed_in_via"] for s in sessions} == {"code", "password"}


async def test_weak_passwords_are_422_naming_the_rule(client, owner):
    pair = await sign_in(client, owner, PHONE)
    cases = {
        "short1!": "length",
        "x" * 129: "length",
        "password123": "common",
        "iloveyou12": "common",
        "my13700000021pw": "phone",
        "pin 0000021 and 137": "phone",
    }
    for password, rule in cases.items():
        r = await client.put("/v1/me/password", json={"password": password}, headers=bearer(pair))
        assert r.status_code == 422, password
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["field"] == "password" and r.json()["rule"] == rule, password


async def test_stale_session_with_and_without_code(client, owner):
    """A session over 10 minutes old needs a fresh SMS code to set the password."""
    pair = await sign_in(client, owner, PHONE)
    clock.advance(11 * 60)  # still inside the 15-minute access token
    stale = await client.put("/v1/me/password", json={"password": GOOD}, headers=bearer(pair))
    assert stale.status_code == 403
    assert stale.json()["type"].endswith("/recent-sign-in-required")
    code = await send_code(client, owner, PHONE)
    wrong = "000000" if code != "000000" else "111111"
    bad = await client.put(
        "/v1/me/password", json={"password": GOOD, "code": wrong}, headers=bearer(pair)
    )
    assert bad.status_code == 403 and bad.json()["type"].endswith("/invalid-code")
    ok = await client.put(
        "/v1/me/password", json={"password": GOOD, "code": code}, headers=bearer(pair)
    )
    assert ok.status_code == 204


async def test_changed_password_ends_every_other_session(client, owner):
    other = await sign_in(client, owner, PHONE, {"X-Device-Name": "old tablet"})
    clock.advance(61)
    mine = await sign_in(client, owner, PHONE, {"X-Device-Name": "laptop"})
    put = await client.put("/v1/me/password", json={"password": GOOD}, headers=bearer(mine))
    assert put.status_code == 204
    ended = await client.post("/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert ended.status_code == 401
    kept = await client.post("/v1/auth/refresh", json={"refresh_token": mine["refresh_token"]})
    assert kept.status_code == 200
    listed = await client.get("/v1/me/sessions", headers=bearer(kept.json()))
    assert [s["device_name"] for s in listed.json()["items"]] == ["laptop"]


async def test_wrong_passwords_lock_out_like_codes(client, owner):
    """Five wrong tries within a code's lifetime: 429 with Retry-After, even for the right one."""
    await _with_password(client, owner)
    for _ in range(5):
        r = await client.post(
            "/v1/auth/password", json={"phone": PHONE, "password": "wrong guess 1"}
        )
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/problem+json")
    locked = await client.post("/v1/auth/password", json={"phone": PHONE, "password": GOOD})
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 300
    clock.advance(301)
    back = await client.post("/v1/auth/password", json={"phone": PHONE, "password": GOOD})
    assert back.status_code == 200


async def test_unknown_number_and_no_password_answer_alike(client, owner):
    await sign_in(client, owner, PHONE)  # an account without a password
    none_set = await client.post("/v1/auth/password", json={"phone": PHONE, "password": GOOD})
    unknown = await client.post(
        "/v1/auth/password", json={"phone": "+8613700000999", "password": GOOD}
    )
    assert none_set.status_code == unknown.status_code == 401
    assert none_set.json()["detail"] == unknown.json()["detail"]


async def test_rehash_when_parameters_change(client, owner, settings, tmp_path):
    await _with_password(client, owner)
    stronger: Any = settings.model_copy(update={"password_time_cost": 2})
    app = create_app(stronger)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://rostra.test") as c:
        r = await c.post("/v1/auth/password", json={"phone": PHONE, "password": GOOD})
        assert r.status_code == 200
    await app.state.ctx.db.dispose()
    async with owner.db.session() as session:
        stored = (
            await session.execute(
                select(Account.password_hash).where(
                    Account.phone_hash == phone_hash(owner.keys, PHONE)
                )
            )
        ).scalar_one()
    assert stored is not None and ",t=2," in stored
    again = await client.post("/v1/auth/password", json={"phone": PHONE, "password": GOOD})
    assert again.status_code == 200  # the old parameters still verify the new hash


async def test_a_hash_of_four_lanes_is_renewed_in_one_at_login(client, owner, settings):
    """Hashes made under the former default (parallelism 4) move to one lane at login (#16)."""
    four: Any = settings.model_copy(update={"password_parallelism": 4})
    app = create_app(four)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://rostra.test") as c:
        await _with_password(c, owner)
    await app.state.ctx.db.dispose()

    async def stored() -> str | None:
        async with owner.db.session() as session:
            query = select(Account.password_hash).where(
                Account.phone_hash == phone_hash(owner.keys, PHONE)
            )
            return (await session.execute(query)).scalar_one()

    assert ",p=4$" in (await stored() or "")
    r = await client.post("/v1/auth/password", json={"phone": PHONE, "password": GOOD})
    assert r.status_code == 200, r.text
    assert ",p=1$" in (await stored() or "")
