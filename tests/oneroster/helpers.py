"""Shared bits of the OneRoster REST tests: a registered client and its bearer token."""

from __future__ import annotations

from typing import Any

import httpx

from tests.roster.helpers import NORTH, NORTH_ADMIN, SOUTH, SOUTH_ADMIN

__all__ = ["NORTH", "NORTH_ADMIN", "SOUTH", "SOUTH_ADMIN", "new_client", "token"]
BASE = "/ims/oneroster/rostering/v1p2"
CORE = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"
ROSTER = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly"
DEMOGRAPHICS = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-demographics.readonly"


async def new_client(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    school: str = NORTH,
    scopes: tuple[str, ...] = ("roster-core.readonly",),
    purpose: str = "teaching_management",
) -> dict[str, Any]:
    body = {"name": "learning-platform", "scopes": list(scopes), "purpose": purpose}
    response = await client.post(f"{school}/oneroster/clients", json=body, headers=admin)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def token_response(
    client: httpx.AsyncClient, registered: dict[str, Any], scope: str | None = None
) -> httpx.Response:
    form = {"grant_type": "client_credentials"}
    if scope is not None:
        form["scope"] = scope
    auth = (registered["client_id"], registered["client_secret"])
    return await client.post("/oauth/token", data=form, auth=auth)


async def token(
    client: httpx.AsyncClient, registered: dict[str, Any], scope: str | None = None
) -> dict[str, str]:
    response = await token_response(client, registered, scope)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
