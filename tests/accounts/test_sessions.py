"""Devices and sessions: each refresh-token family is a session the person sees and ends."""

from __future__ import annotations

from app.core import clock
from tests.accounts.helpers import bearer, sign_in

PHONE = "+8613700000011"
OTHER = "+8613700000012"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"


async def test_each_sign_in_is_a_session_named_by_its_device(client, owner):
    """ACC-12, PUR-9: device name from the user agent or the client; first and last use."""
    laptop = await sign_in(client, owner, PHONE, {"User-Agent": FIREFOX})
    clock.advance(61)
    phone = await sign_in(client, owner, PHONE, {"X-Device-Name": "Mei's phone"})
    clock.advance(120)
    refreshed = await client.post(
        "/v1/auth/refresh", json={"refresh_token": laptop["refresh_token"]}
    )
    assert refreshed.status_code == 200
    listed = await client.get("/v1/me/sessions", headers=bearer(phone))
    assert listed.status_code == 200
    items = listed.json()["items"]
    by_name = {s["device_name"]: s for s in items}
    assert set(by_name) == {"Firefox on Linux", "Mei's phone"}
    assert by_name["Mei's phone"]["current"] is True
    assert by_name["Firefox on Linux"]["current"] is False
    assert (
        by_name["Firefox on Linux"]["last_used_at"] > by_name["Firefox on Linux"]["first_used_at"]
    )
    assert all(s["location"] is None for s in items)  # no consent given: no location
    assert all(s["signed_in_via"] == "code" for s in items)


async def test_ending_a_session_revokes_its_refresh_token(client, owner):
    """ACC-13: DELETE ends the family; the other session keeps working."""
    first = await sign_in(client, owner, PHONE, {"X-Device-Name": "tablet"})
    clock.advance(61)
    second = await sign_in(client, owner, PHONE, {"X-Device-Name": "laptop"})
    items = (await client.get("/v1/me/sessions", headers=bearer(second))).json()["items"]
    tablet = next(s for s in items if s["device_name"] == "tablet")
    ended = await client.delete(f"/v1/me/sessions/{tablet['id']}", headers=bearer(second))
    assert ended.status_code == 204
    again = await client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert again.status_code == 401
    kept = await client.post("/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert kept.status_code == 200
    names = [
        s["device_name"]
        for s in (await client.get("/v1/me/sessions", headers=bearer(second))).json()["items"]
    ]
    assert names == ["laptop"]
    twice = await client.delete(f"/v1/me/sessions/{tablet['id']}", headers=bearer(second))
    assert twice.status_code == 404


async def test_another_persons_session_is_404(client, owner):
    mine = await sign_in(client, owner, PHONE)
    theirs = await sign_in(client, owner, OTHER)
    their_id = (await client.get("/v1/me/sessions", headers=bearer(theirs))).json()["items"][0][
        "id"
    ]
    refused = await client.delete(f"/v1/me/sessions/{their_id}", headers=bearer(mine))
    assert refused.status_code == 404
    assert refused.headers["content-type"].startswith("application/problem+json")
    still = await client.post("/v1/auth/refresh", json={"refresh_token": theirs["refresh_token"]})
    assert still.status_code == 200


async def test_sessions_need_a_token(client):
    assert (await client.get("/v1/me/sessions")).status_code == 401
