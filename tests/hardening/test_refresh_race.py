"""Refresh rotation is atomic (#11): one refresh token is redeemed once, even concurrently."""

from __future__ import annotations

import asyncio

from tests.conftest import postgres_only

PHONES = [f"+86138000009{n:02d}" for n in range(6)]


async def _refresh_token(client, owner, phone: str) -> str:
    from tests.conftest import latest_code

    sent = await client.post("/v1/auth/otp", json={"phone": phone})
    assert sent.status_code == 202, sent.text
    code = await latest_code(owner, phone)
    token = await client.post("/v1/auth/token", json={"phone": phone, "code": code})
    assert token.status_code == 200, token.text
    return str(token.json()["refresh_token"])


@postgres_only
async def test_two_concurrent_refreshes_of_one_token_give_exactly_one_200(
    client, owner, schools, database
):
    """Both requests run at once on their own connections; only one may rotate the token."""
    for phone in PHONES:
        token = await _refresh_token(client, owner, phone)
        answers = await asyncio.gather(
            *(client.post("/v1/auth/refresh", json={"refresh_token": token}) for _ in range(2))
        )
        assert sorted(a.status_code for a in answers) == [200, 401], phone
        # The loser counts as reuse: the family is revoked, so the winner's token is dead too.
        winner = next(a for a in answers if a.status_code == 200).json()["refresh_token"]
        again = await client.post("/v1/auth/refresh", json={"refresh_token": winner})
        assert again.status_code == 401, again.text
