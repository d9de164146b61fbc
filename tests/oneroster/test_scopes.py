"""Scopes: roster-core opens the core collections, demographics need their own (or roster)."""

from __future__ import annotations

from tests.oneroster.helpers import (
    BASE,
    CORE,
    DEMOGRAPHICS,
    NORTH_ADMIN,
    ROSTER,
    new_client,
    status_info,
    token,
)

CORE_PATHS = ("orgs", "schools", "academicSessions", "terms", "courses", "classes")
CORE_PATHS += ("users", "students", "teachers", "enrollments")


async def test_core_scope_reads_core_not_demographics(client, schools, login):
    auth = await token(client, await new_client(client, await login(NORTH_ADMIN)))
    for path in CORE_PATHS:
        assert (await client.get(f"{BASE}/{path}", headers=auth)).status_code == 200, path
    status_info(await client.get(f"{BASE}/demographics", headers=auth), 403)


async def test_demographics_scope_reads_demographics_only(client, schools, login):
    admin = await login(NORTH_ADMIN)
    auth = await token(client, await new_client(client, admin, scopes=(DEMOGRAPHICS,)))
    demographics = await client.get(f"{BASE}/demographics", headers=auth)
    assert demographics.status_code == 200 and "demographics" in demographics.json()
    status_info(await client.get(f"{BASE}/users", headers=auth), 403)
    status_info(await client.get(f"{BASE}/classes", headers=auth), 403)


async def test_roster_scope_reads_everything(client, schools, login):
    auth = await token(client, await new_client(client, await login(NORTH_ADMIN), scopes=(ROSTER,)))
    for path in (*CORE_PATHS, "demographics"):
        assert (await client.get(f"{BASE}/{path}", headers=auth)).status_code == 200, path


async def test_a_token_narrowed_at_issue_is_held_to_it(client, schools, login):
    """A client registered for core and demographics asks a core-only token: no demographics."""
    admin = await login(NORTH_ADMIN)
    registered = await new_client(client, admin, scopes=(CORE, DEMOGRAPHICS))
    narrowed = await token(client, registered, scope=CORE)
    status_info(await client.get(f"{BASE}/demographics", headers=narrowed), 403)
    full = await token(client, registered)
    assert (await client.get(f"{BASE}/demographics", headers=full)).status_code == 200
