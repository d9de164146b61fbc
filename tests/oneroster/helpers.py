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


async def roster_world(client: httpx.AsyncClient, login: Any) -> dict[str, Any]:
    """Demo North: courses A and B (term '2026 autumn'), a teacher and an adult student each.

    Returns the admin's headers and the OneRoster sourcedIds of the classes.
    """
    from tests.roster.helpers import consent, course

    admin = await login(NORTH_ADMIN)
    classes = {}
    people = (("A", "13800000851", "Ada Teacher", "13800000861", "Ben Student"),)
    people += (("B", "13800000852", "Cy Teacher", "13800000862", "Dee Student"),)
    for code, t_phone, t_name, s_phone, s_name in people:
        made = await client.post(f"{NORTH}/courses", json=course(code), headers=admin)
        assert made.status_code == 201, made.text
        path = f"{NORTH}/courses/{made.json()['id']}/enrollments"
        entries = [
            {"phone": t_phone, "role": "teacher", "display_name": t_name},
            {"phone": s_phone, "role": "student", "display_name": s_name, "age_band": "adult"},
        ]
        enrolled = await client.post(
            path, json={"entries": entries, "consent": consent()}, headers=admin
        )
        assert enrolled.status_code == 200, enrolled.text
        classes[code] = made.json()["id"]
    return {"admin": admin, "classes": classes}


def status_info(response: httpx.Response, status: int) -> dict[str, Any]:
    """The standard's status-info payload, with the code the test expects."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["imsx_codeMajor"] == "failure" and body["imsx_severity"] == "error"
    assert body["imsx_description"] and "imsx_CodeMinor" in body
    return body
