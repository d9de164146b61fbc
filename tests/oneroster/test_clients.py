"""OneRoster clients: registered by a school's admin (HTTP or CLI), tokens by client credentials."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from typer.testing import CliRunner

from app.cli import app as cli_app
from tests.authz.test_apikeys_cli import cli_env as cli_env  # the CLI's environment, reused
from tests.oneroster.helpers import (
    CORE,
    DEMOGRAPHICS,
    NORTH,
    NORTH_ADMIN,
    SOUTH,
    SOUTH_ADMIN,
    new_client,
    token_response,
)
from tests.roster.helpers import person


async def test_admin_registers_client_and_gets_a_token(client, schools, login):
    """A school admin registers a client; its secret is shown once; a token carries its scopes."""
    admin = await login(NORTH_ADMIN)
    created = await new_client(client, admin, scopes=("roster-core.readonly", DEMOGRAPHICS))
    assert created["client_id"].startswith(f"orc_{schools['demo-north'].id.hex}_")
    assert created["client_secret"] and created["scopes"] == [CORE, DEMOGRAPHICS]
    issued = await token_response(client, created)
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert body["token_type"] == "Bearer" and 0 < body["expires_in"] <= 3600
    assert set(body["scope"].split()) == {CORE, DEMOGRAPHICS}
    narrowed = await token_response(client, created, scope=CORE)
    assert narrowed.status_code == 200 and narrowed.json()["scope"] == CORE


async def test_token_refusals_follow_rfc6749(client, schools, login):
    """Wrong secret → 401 invalid_client; a scope not registered → invalid_scope; other grants."""
    created = await new_client(client, await login(NORTH_ADMIN))
    wrong = {**created, "client_secret": "not-it"}
    refused = await token_response(client, wrong)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    unknown = {**created, "client_id": "orc_" + "0" * 32 + "_nobody"}
    assert (await token_response(client, unknown)).json()["error"] == "invalid_client"
    wider = await token_response(client, created, scope=DEMOGRAPHICS)
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"
    auth = (created["client_id"], created["client_secret"])
    password = await client.post("/oauth/token", data={"grant_type": "password"}, auth=auth)
    assert password.status_code == 400 and password.json()["error"] == "unsupported_grant_type"


async def test_only_the_schools_admin_registers(client, schools, login):
    """A teacher may not (403); another school's admin may not register for this school."""
    admin = await login(NORTH_ADMIN)
    teacher_phone = "+8613800000077"
    made = await client.post(f"{NORTH}/members", json=person(teacher_phone), headers=admin)
    assert made.status_code == 201, made.text
    body = {"name": "x", "scopes": ["roster-core.readonly"], "purpose": "teaching_management"}
    teacher = await login(teacher_phone)
    denied = await client.post(f"{NORTH}/oneroster/clients", json=body, headers=teacher)
    assert denied.status_code == 403
    south = await login(SOUTH_ADMIN)
    foreign = await client.post(f"{NORTH}/oneroster/clients", json=body, headers=south)
    assert foreign.status_code in (403, 404)
    ok = await client.post(f"{SOUTH}/oneroster/clients", json=body, headers=south)
    assert ok.status_code == 201


async def test_unknown_scope_or_purpose_is_422_naming_the_field(client, schools, login):
    admin = await login(NORTH_ADMIN)
    body: dict[str, Any] = {"name": "x", "scopes": ["roster-everything"], "purpose": "learning"}
    bad_scope = await client.post(f"{NORTH}/oneroster/clients", json=body, headers=admin)
    assert bad_scope.status_code == 422 and bad_scope.json()["field"] == "scopes"
    body["scopes"] = ["roster.readonly"]
    bad_purpose = await client.post(f"{NORTH}/oneroster/clients", json=body, headers=admin)
    assert bad_purpose.status_code == 422 and bad_purpose.json()["field"] == "purpose"


async def test_cli_creates_a_client_whose_secret_gets_a_token(client, schools, cli_env):
    args = ["oneroster", "clients", "create", "demo-north", "classroom", "--json"]
    args += ["--scope", "roster-core.readonly"]
    result = await asyncio.to_thread(CliRunner().invoke, cli_app, args)
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    issued = await token_response(client, created)
    assert issued.status_code == 200 and issued.json()["scope"] == CORE
    missing = ["oneroster", "clients", "create", "nowhere", "x", "--scope", "roster.readonly"]
    assert (await asyncio.to_thread(CliRunner().invoke, cli_app, missing)).exit_code == 2
