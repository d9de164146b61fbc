"""The member list: scoped by role, masked phones, 404 for other schools (issue #3, AUZ-2).

GET /v1/tenants/{slug}/members lives in roster with the rest of the members endpoints (#10).
"""

from __future__ import annotations

from tests.factories import add_member

NORTH_ADMIN = "+8613800000001"
SOUTH_ADMIN = "+8613900000001"


async def test_admin_lists_members_with_masked_phones(client, schools, login, owner):
    north = schools["demo-north"]
    for i in range(3):
        await add_member(owner, north, f"+86138000002{i:02d}", "student", f"Student {i}")
    headers = await login(NORTH_ADMIN)
    response = await client.get("/v1/tenants/demo-north/members", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert len(body["items"]) == 4 and body["next_cursor"] is None
    phones = {m["phone_masked"] for m in body["items"]}
    assert "+86 138****0200" in phones
    assert all("*" in p for p in phones)
    students = await client.get(
        "/v1/tenants/demo-north/members", params={"role": "student"}, headers=headers
    )
    assert {m["role"] for m in students.json()["items"]} == {"student"}


async def test_pagination_walks_every_member_once(client, schools, login, owner):
    north = schools["demo-north"]
    for i in range(7):
        await add_member(owner, north, f"+86138000003{i:02d}", "student")
    headers = await login(NORTH_ADMIN)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = (
            await client.get("/v1/tenants/demo-north/members", params=params, headers=headers)
        ).json()
        seen += [m["id"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 8


async def test_limit_out_of_range_is_422(client, schools, login):
    headers = await login(NORTH_ADMIN)
    for limit in (0, 501):
        r = await client.get(
            "/v1/tenants/demo-north/members", params={"limit": limit}, headers=headers
        )
        assert r.status_code == 422
        assert r.json()["field"] == "limit"


async def test_other_school_is_404_exactly_like_a_missing_one(client, schools, login):
    headers = await login(SOUTH_ADMIN)
    foreign = await client.get("/v1/tenants/demo-north/members", headers=headers)
    missing = await client.get("/v1/tenants/no-such-school/members", headers=headers)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["title"] == missing.json()["title"]
    assert foreign.json()["detail"] == missing.json()["detail"]


async def test_student_may_not_list_members(client, schools, login, owner):
    await add_member(owner, schools["demo-north"], "+8613800000250", "student")
    headers = await login("+8613800000250")
    response = await client.get("/v1/tenants/demo-north/members", headers=headers)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_teacher_without_courses_sees_nobody(client, schools, login, owner):
    north = schools["demo-north"]
    await add_member(owner, north, "+8613800000150", "teacher")
    await add_member(owner, north, "+8613800000251", "student")
    headers = await login("+8613800000150")
    response = await client.get("/v1/tenants/demo-north/members", headers=headers)
    assert response.status_code == 200
    assert response.json()["items"] == []


async def test_no_token_is_401(client, schools):
    response = await client.get("/v1/tenants/demo-north/members")
    assert response.status_code == 401
