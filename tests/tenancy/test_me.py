"""`/v1/me`: the caller's own account and their memberships across schools."""

from __future__ import annotations

from tests.factories import add_member


async def test_me_lists_memberships_across_schools(client, schools, login, owner):
    """ACC-4."""
    await add_member(owner, schools["demo-north"], "+8613700000555", "teacher")
    await add_member(owner, schools["demo-south"], "+8613700000555", "student")
    headers = await login("+8613700000555")
    me = (await client.get("/v1/me", headers=headers)).json()
    assert {(m["school"], m["role"]) for m in me["memberships"]} == {
        ("demo-north", "teacher"),
        ("demo-south", "student"),
    }
