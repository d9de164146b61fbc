"""Without a table of networks (the default) no session ever gets a city, consent or not."""

from __future__ import annotations

from tests.accounts.helpers import bearer, sign_in

PHONE = "+8613700000043"


async def test_consent_without_a_lookup_records_no_city(client, owner):
    pair = await sign_in(client, owner, PHONE)
    granted = await client.put(
        "/v1/me/sessions/location-consent", json={"granted": True}, headers=bearer(pair)
    )
    assert granted.json()["granted"] is True and granted.json()["lookup_configured"] is False
    again = await sign_in(client, owner, PHONE)
    listed = (await client.get("/v1/me/sessions", headers=bearer(again))).json()["items"]
    assert [s["location"] for s in listed] == [None, None]
