"""The standard's filter grammar: parsed by a real parser, compiled to bound SQL, never spliced."""

from __future__ import annotations

import pytest

from tests.oneroster.helpers import BASE, new_client, roster_world, status_info, token


async def _given(client, auth, path, flt):
    response = await client.get(f"{BASE}/{path}", params={"filter": flt}, headers=auth)
    assert response.status_code == 200, response.text
    key = "users" if path in ("users", "students", "teachers") else path
    return response.json()[key]


async def test_operators_and_logic(client, schools, login):
    world = await roster_world(client, login)
    auth = await token(client, await new_client(client, world["admin"]))

    async def names(flt, path="users"):
        return sorted(u["givenName"] for u in await _given(client, auth, path, flt))

    assert await names("givenName='Ben Student'") == ["Ben Student"]
    assert await names("givenName!='Ben Student'", "students") == ["Dee Student"]
    assert await names("givenName~'student'") == ["Ben Student", "Dee Student"]  # contains
    assert await names("givenName>='C' AND givenName<'D'") == ["Cy Teacher"]
    assert await names("givenName='Ada Teacher' OR givenName='Dee Student'") == [
        "Ada Teacher",
        "Dee Student",
    ]
    assert await names("givenName~'Teacher' AND status='active' OR givenName='Ben Student'") == [
        "Ada Teacher",
        "Ben Student",
        "Cy Teacher",
    ]
    assert await names("dateLastModified>'2000-01-01T00:00:00Z'", "students") == [
        "Ben Student",
        "Dee Student",
    ]
    assert await names("dateLastModified<'2000-01-01'", "students") == []
    teaching = await _given(client, auth, "enrollments", "role='teacher'")
    assert len(teaching) == 2 and all(e["role"] == "teacher" for e in teaching)
    assert len(await _given(client, auth, "enrollments", "primary='false'")) == 2
    a = world["classes"]["A"]
    assert [c["classCode"] for c in await _given(client, auth, "classes", f"sourcedId='{a}'")] == [
        "A"
    ]
    assert await _given(client, auth, "classes", "sourcedId='not-an-id'") == []


async def test_a_value_is_data_not_sql(client, schools, login):
    """Quotes and wildcards in a value match literally; they never reach the SQL text."""
    world = await roster_world(client, login)
    auth = await token(client, await new_client(client, world["admin"]))
    assert await _given(client, auth, "users", "givenName~'%'") == []
    assert await _given(client, auth, "users", "givenName~'B_n'") == []
    for injected in ("givenName='x'' OR 1=1 --'", "givenName='x' OR 1=1", "status='a'; DROP"):
        response = await client.get(f"{BASE}/users", params={"filter": injected}, headers=auth)
        status_info(response, 400)


@pytest.mark.parametrize(
    "flt",
    [
        "givenName=Ben",  # unquoted value
        "givenName='Ben' AND",  # dangling logic
        "givenName=='Ben'",  # no such operator
        "'Ben'=givenName",
        "givenName='Ben' XOR status='active'",
        "givenName",
        "",
    ],
)
async def test_malformed_filter_is_400_status_info(client, schools, login, flt):
    auth = await token(client, await new_client(client, await login("+8613800000001")))
    response = await client.get(f"{BASE}/users", params={"filter": flt or " "}, headers=auth)
    body = status_info(response, 400)
    minor = body["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]
    assert minor == "invalid_filter_field"


async def test_unknown_or_hidden_field_and_bad_value_are_400(client, schools, login):
    auth = await token(client, await new_client(client, await login("+8613800000001")))
    for flt in ("phone='1'", "_student='1'", "dateLastModified>'yesterday'", "sourcedId~'01'"):
        response = await client.get(f"{BASE}/users", params={"filter": flt}, headers=auth)
        status_info(response, 400)
