"""A school's admin lists and revokes its OneRoster clients (#14), over HTTP and the CLI; a
revoked client's token stops working at once; another school sees none of them."""

from __future__ import annotations

import asyncio
import json

from typer.testing import CliRunner

from app.cli import app as cli_app
from tests.authz.test_apikeys_cli import cli_env as cli_env  # the CLI's environment, reused
from tests.oneroster.helpers import BASE, NORTH, NORTH_ADMIN, SOUTH, SOUTH_ADMIN, new_client, token
from tests.roster.helpers import person

CLIENTS = f"{NORTH}/oneroster/clients"


async def test_admin_lists_and_revokes_a_client(client, schools, login):
    admin = await login(NORTH_ADMIN)
    first = await new_client(client, admin)
    second = await new_client(client, admin, scopes=("roster.readonly",))
    auth = await token(client, first)
    assert (await client.get(f"{BASE}/users", headers=auth)).status_code == 200

    listed = await client.get(f"{CLIENTS}?limit=1", headers=admin)
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = await client.get(f"{CLIENTS}?cursor={page['next_cursor']}", headers=admin)
    items = page["items"] + rest.json()["items"]
    assert {c["client_id"] for c in items} == {first["client_id"], second["client_id"]}
    assert all("client_secret" not in c and c["revoked_at"] is None for c in items)

    gone = await client.delete(f"{CLIENTS}/{first['id']}", headers=admin)
    assert gone.status_code == 204
    assert (await client.get(f"{BASE}/users", headers=auth)).status_code == 401
    again = await client.delete(f"{CLIENTS}/{first['id']}", headers=admin)
    assert again.status_code == 204  # a retried revocation changes nothing
    after = {c["id"]: c for c in (await client.get(CLIENTS, headers=admin)).json()["items"]}
    assert after[first["id"]]["revoked_at"] is not None
    assert after[second["id"]]["revoked_at"] is None
    assert (await client.delete(f"{CLIENTS}/not-an-id", headers=admin)).status_code == 404
    bad = await client.get(f"{CLIENTS}?limit=501", headers=admin)
    assert bad.status_code == 422


async def test_another_school_and_a_teacher_get_nothing(client, schools, login):
    admin = await login(NORTH_ADMIN)
    north_client = await new_client(client, admin)
    south = await login(SOUTH_ADMIN)
    await new_client(client, south, school=SOUTH)
    south_view = (await client.get(f"{SOUTH}/oneroster/clients", headers=south)).json()
    assert north_client["client_id"] not in {c["client_id"] for c in south_view["items"]}
    assert (await client.get(CLIENTS, headers=south)).status_code in (403, 404)
    foreign = await client.delete(f"{SOUTH}/oneroster/clients/{north_client['id']}", headers=south)
    assert foreign.status_code == 404  # North's client is not one of South's
    auth = await token(client, north_client)
    assert (await client.get(f"{BASE}/users", headers=auth)).status_code == 200

    made = await client.post(f"{NORTH}/members", json=person("+8613800000078"), headers=admin)
    assert made.status_code == 201
    teacher = await login("+8613800000078")
    assert (await client.get(CLIENTS, headers=teacher)).status_code == 403
    denied = await client.delete(f"{CLIENTS}/{north_client['id']}", headers=teacher)
    assert denied.status_code == 403


async def test_cli_lists_and_revokes(client, schools, login, cli_env):
    created = await new_client(client, await login(NORTH_ADMIN))
    auth = await token(client, created)
    run = CliRunner().invoke
    listed = await asyncio.to_thread(
        run, cli_app, ["oneroster", "clients", "list", "demo-north", "--json"]
    )
    assert listed.exit_code == 0, listed.output
    assert [c["client_id"] for c in json.loads(listed.output)] == [created["client_id"]]
    args = ["oneroster", "clients", "revoke", "demo-north", created["id"]]
    revoked = await asyncio.to_thread(run, cli_app, args)
    assert revoked.exit_code == 0, revoked.output
    assert (await client.get(f"{BASE}/users", headers=auth)).status_code == 401
    wrong = ["oneroster", "clients", "revoke", "demo-south", created["id"]]
    assert (await asyncio.to_thread(run, cli_app, wrong)).exit_code == 2
