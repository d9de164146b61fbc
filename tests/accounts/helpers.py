"""Sign-in helpers for the identity tests: the real SMS-code flow, returning the token answer."""

from __future__ import annotations

import httpx

from app.core import clock
from app.core.context import ServiceContext
from tests.conftest import latest_code


async def send_code(client: httpx.AsyncClient, owner: ServiceContext, phone: str) -> str:
    sent = await client.post("/v1/auth/otp", json={"phone": phone})
    if sent.status_code == 429:  # a code was sent moments ago in this test: move on
        clock.advance(61)
        sent = await client.post("/v1/auth/otp", json={"phone": phone})
    assert sent.status_code == 202, sent.text
    return await latest_code(owner, phone)


async def sign_in(
    client: httpx.AsyncClient,
    owner: ServiceContext,
    phone: str,
    headers: dict[str, str] | None = None,
) -> dict[str, str]:
    code = await send_code(client, owner, phone)
    token = await client.post(
        "/v1/auth/token", json={"phone": phone, "code": code}, headers=headers or {}
    )
    assert token.status_code == 200, token.text
    body: dict[str, str] = token.json()
    return body


def bearer(pair: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}
