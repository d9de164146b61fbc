"""The standard's paging (`limit`, `offset`, `X-Total-Count`, `Link`), sort, orderBy, fields."""

from __future__ import annotations

from tests.oneroster.helpers import BASE, new_client, roster_world, status_info, token


async def test_limit_offset_total_and_links(client, schools, login):
    world = await roster_world(client, login)
    auth = await token(client, await new_client(client, world["admin"]))
    everyone = await client.get(f"{BASE}/users", headers=auth)
    total = int(everyone.headers["X-Total-Count"])
    assert total == len(everyone.json()["users"]) >= 5  # admin, 2 teachers, 2 students
    first = await client.get(f"{BASE}/users", params={"limit": 2}, headers=auth)
    assert first.headers["X-Total-Count"] == str(total) and len(first.json()["users"]) == 2
    assert 'rel="next"' in first.headers["Link"] and "offset=2" in first.headers["Link"]
    last_offset = (total - 1) // 2 * 2
    assert f'offset={last_offset}>; rel="last"' in first.headers["Link"]
    seen = []
    for offset in range(0, total, 2):
        page = await client.get(f"{BASE}/users?limit=2&offset={offset}", headers=auth)
        seen += [u["sourcedId"] for u in page.json()["users"]]
    assert sorted(seen) == sorted(u["sourcedId"] for u in everyone.json()["users"])
    last = await client.get(f"{BASE}/users?limit=2&offset={last_offset}", headers=auth)
    assert 'rel="next"' not in last.headers["Link"]
    past = await client.get(f"{BASE}/users?offset=500", headers=auth)
    assert past.json()["users"] == [] and past.headers["X-Total-Count"] == str(total)
    status_info(await client.get(f"{BASE}/users?limit=0", headers=auth), 400)
    status_info(await client.get(f"{BASE}/users?offset=-1", headers=auth), 400)


async def test_sort_and_order_by(client, schools, login):
    world = await roster_world(client, login)
    auth = await token(client, await new_client(client, world["admin"]))
    up = await client.get(f"{BASE}/students?sort=givenName", headers=auth)
    assert [u["givenName"] for u in up.json()["users"]] == ["Ben Student", "Dee Student"]
    down = await client.get(f"{BASE}/students?sort=givenName&orderBy=desc", headers=auth)
    assert [u["givenName"] for u in down.json()["users"]] == ["Dee Student", "Ben Student"]
    bad = status_info(await client.get(f"{BASE}/users?sort=phone", headers=auth), 400)
    assert "phone" in bad["imsx_description"]
    status_info(await client.get(f"{BASE}/users?sort=givenName&orderBy=up", headers=auth), 400)


async def test_fields_selects_and_unknown_field_is_400(client, schools, login):
    world = await roster_world(client, login)
    auth = await token(client, await new_client(client, world["admin"]))
    slim = await client.get(f"{BASE}/students?fields=sourcedId,givenName", headers=auth)
    assert all(set(u) == {"sourcedId", "givenName"} for u in slim.json()["users"])
    a = world["classes"]["A"]
    one = await client.get(f"{BASE}/classes/{a}?fields=classCode", headers=auth)
    assert one.json() == {"class": {"classCode": "A"}}
    bad = status_info(await client.get(f"{BASE}/users?fields=sourcedId,phone", headers=auth), 400)
    minor = bad["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]
    assert minor == "invalid_selection_field" and "phone" in bad["imsx_description"]


async def test_users_paged_by_id_first_match_the_filtered_path(client, schools, login):
    """An unfiltered users page picks its people by id before grouping their memberships
    (#14 bench); it answers exactly what the general path answers for the same rows."""
    world = await roster_world(client, login)
    auth = await token(client, await new_client(client, world["admin"]))
    everyone = "filter=status='active' OR status='tobedeleted'"  # the general path
    for order in ("asc", "desc"):
        general = await client.get(f"{BASE}/users?orderBy={order}&{everyone}", headers=auth)
        assert general.status_code == 200, general.text
        total = int(general.headers["X-Total-Count"])
        paged = []
        for offset in range(0, total, 2):
            page = await client.get(
                f"{BASE}/users?sort=sourcedId&orderBy={order}&limit=2&offset={offset}",
                headers=auth,
            )
            assert page.headers["X-Total-Count"] == str(total)
            paged += page.json()["users"]
        assert paged == general.json()["users"]
