"""The API-key list of a school pages like every other list (issue #10, AUZ-7)."""

from __future__ import annotations

from app.core.pagination import encode_cursor

KEYS = "/v1/tenants/demo-north/api-keys"
NORTH_ADMIN, SOUTH_ADMIN = "+8613800000001", "+8613900000001"


async def test_api_key_list_pages_and_refuses_a_forged_cursor(client, login, schools):
    admin = await login(NORTH_ADMIN)
    made = [
        (await client.post(KEYS, json={"name": f"key-{n}"}, headers=admin)).json()["id"]
        for n in range(3)
    ]
    first = await client.get(KEYS, params={"limit": 2}, headers=admin)
    assert first.status_code == 200
    rest = await client.get(
        KEYS, params={"limit": 2, "cursor": first.json()["next_cursor"]}, headers=admin
    )
    assert [k["id"] for k in first.json()["items"] + rest.json()["items"]] == made
    assert rest.json()["next_cursor"] is None
    for forged in ("not-base64!", encode_cursor(["x"]), "e30"):
        answer = await client.get(KEYS, params={"cursor": forged}, headers=admin)
        assert answer.status_code == 422, forged
        assert answer.json()["field"] == "cursor"
    other = await client.get(KEYS, headers=await login(SOUTH_ADMIN))
    assert other.status_code == 404
