"""Codes and passwords share one budget of tries per number (ACC-5: "the same attempt
limits and lockout as codes"; SEC-2)."""

from __future__ import annotations

import httpx

from app.core import clock
from app.core.context import ServiceContext
from tests.accounts.helpers import bearer, send_code, sign_in

PHONE = "+8613700000031"
GOOD = "correct horse battery staple"


async def _with_password(client: httpx.AsyncClient, owner: ServiceContext) -> None:
    pair = await sign_in(client, owner, PHONE)
    put = await client.put("/v1/me/password", json={"password": GOOD}, headers=bearer(pair))
    assert put.status_code == 204, put.text


async def _wrong_password(client: httpx.AsyncClient) -> int:
    r = await client.post("/v1/auth/password", json={"phone": PHONE, "password": "not it at all"})
    return r.status_code


async def _code_try(client: httpx.AsyncClient, code: str) -> httpx.Response:
    return await client.post("/v1/auth/token", json={"phone": PHONE, "code": code})


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


async def test_wrong_passwords_use_up_the_codes_tries(client, owner):
    """Three wrong passwords and two wrong codes: the live code is locked, so is the password."""
    await _with_password(client, owner)
    clock.advance(61)
    code = await send_code(client, owner, PHONE)
    assert [await _wrong_password(client) for _ in range(3)] == [401, 401, 401]
    assert (await _code_try(client, _wrong(code))).status_code == 401
    assert (await _code_try(client, _wrong(code))).status_code == 401
    # Five failed tries of either kind: the right code no longer works, nor the password.
    assert (await _code_try(client, code)).status_code == 401
    locked = await client.post("/v1/auth/password", json={"phone": PHONE, "password": GOOD})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0


async def test_wrong_codes_lock_the_password_too(client, owner):
    await _with_password(client, owner)
    clock.advance(61)
    code = await send_code(client, owner, PHONE)
    for _ in range(5):
        assert (await _code_try(client, _wrong(code))).status_code == 401
    locked = await client.post("/v1/auth/password", json={"phone": PHONE, "password": GOOD})
    assert locked.status_code == 429
    assert locked.headers["content-type"].startswith("application/problem+json")


async def test_a_new_code_opens_a_new_budget_and_its_use_forgets_the_failures(client, owner):
    """Only the phone's holder gets the new code: it unlocks both ways in."""
    await _with_password(client, owner)
    for _ in range(5):
        assert await _wrong_password(client) == 401
    assert await _wrong_password(client) == 429
    clock.advance(61)
    code = await send_code(client, owner, PHONE)
    assert (await _code_try(client, code)).status_code == 200
    back = await client.post("/v1/auth/password", json={"phone": PHONE, "password": GOOD})
    assert back.status_code == 200, back.text


async def test_a_day_allows_no_more_tries_than_its_codes(client, owner, settings):
    """New codes cannot be used to try passwords without end: the day's tries are capped."""
    await _with_password(client, owner)
    day_budget = settings.otp_max_attempts * settings.otp_daily_limit
    tried = 0
    while tried < day_budget:
        clock.advance(settings.otp_ttl_seconds + 1)  # each window's tries run out, then pass
        for _ in range(settings.otp_max_attempts):
            assert await _wrong_password(client) == 401
            tried += 1
    clock.advance(settings.otp_ttl_seconds + 1)
    capped = await client.post("/v1/auth/password", json={"phone": PHONE, "password": GOOD})
    assert capped.status_code == 429
    assert int(capped.headers["Retry-After"]) > settings.otp_ttl_seconds
