"""Notices: versions, acceptance, pending first, rights-reducing changes wait for consent,
a guardian accepts for a child under 14 (GEN-1/2, PRX-7, POL-3, POL-6, MIN-1/4)."""

from __future__ import annotations

from tests.privacy.people import CHILD, GUARDIAN, NORTH_ADMIN, SOUTH_ADMIN, STRANGER, STUDENT

NOTICES = "/v1/tenants/demo-north/notices"


def _by(items, scope, version, school="demo-north"):
    return next(
        n
        for n in items
        if n["scope"] == scope and n["version"] == version and n["school"] in (school, None)
    )


async def test_pending_notices_come_first_and_acceptance_is_recorded(client, login, people):
    """POL-1."""
    headers = await login(STUDENT)
    items = (await client.get("/v1/me/notices", headers=headers)).json()["items"]
    pending = [(n["scope"], n["school"]) for n in items if n["pending"]]
    assert set(pending) == {("platform", None), ("school", "demo-north"), ("school", "demo-south")}
    assert all(n["pending"] for n in items[:3])
    platform = next(n for n in items if n["scope"] == "platform")
    accepted = await client.post(f"/v1/me/notices/{platform['id']}/accept", headers=headers)
    assert accepted.status_code == 200
    assert (accepted.json()["pending"], accepted.json()["accepted_by_guardian"]) == (False, False)
    again = await client.post(f"/v1/me/notices/{platform['id']}/accept", headers=headers)
    assert again.json()["accepted_at"] == accepted.json()["accepted_at"]  # a retry: same record
    items = (await client.get("/v1/me/notices", headers=headers)).json()["items"]
    assert [n["scope"] for n in items if n["pending"]] == ["school", "school"]
    assert items[-1]["scope"] == "platform"


async def test_a_version_reducing_rights_applies_only_once_accepted_and_old_ones_stay(
    client, login, people
):
    """GEN-5."""
    headers = await login(STUDENT)
    first = _by(
        (await client.get("/v1/me/notices", headers=headers)).json()["items"], "school", "1"
    )
    await client.post(f"/v1/me/notices/{first['id']}/accept", headers=headers)
    admin = await login(NORTH_ADMIN)
    body = {
        "version": "2",
        "summary": "Recordings are kept 3 years instead of 1.",
        "effective_on": "2026-01-01",
        "reduces_rights": True,
    }
    published = await client.post(NOTICES, json=body, headers=admin)
    assert published.status_code == 201, published.text
    assert (await client.post(NOTICES, json=body, headers=admin)).status_code == 200
    items = (await client.get("/v1/me/notices", headers=headers)).json()["items"]
    north = [n for n in items if n["school"] == "demo-north"]
    assert {(n["version"], n["current"], n["pending"], n["applies"]) for n in north} == {
        ("2", True, True, False),
        ("1", False, False, True),  # POL-3: the accepted version still governs
    }
    v2 = _by(north, "school", "2")
    assert v2["summary"] == body["summary"] and v2["effective_on"] == "2026-01-01"
    await client.post(f"/v1/me/notices/{v2['id']}/accept", headers=headers)
    north = [
        n
        for n in (await client.get("/v1/me/notices", headers=headers)).json()["items"]
        if n["school"] == "demo-north"
    ]
    assert {(n["version"], n["applies"]) for n in north} == {("2", True), ("1", False)}
    versions = (await client.get(NOTICES, headers=admin)).json()["items"]
    assert [v["version"] for v in versions] == ["2", "1"]  # POL-6: every version stays readable


async def test_a_guardian_accepts_for_a_child_under_14(client, login, people):
    child = await login(CHILD)
    notice = (await client.get("/v1/me/notices", headers=child)).json()["items"][0]
    refused = await client.post(f"/v1/me/notices/{notice['id']}/accept", headers=child)
    assert refused.status_code == 403
    guardian = await login(GUARDIAN)
    url = f"/v1/me/notices/{notice['id']}/accept?student={people.id(CHILD)}"
    accepted = await client.post(url, headers=guardian)
    assert accepted.status_code == 200 and accepted.json()["accepted_by_guardian"] is True
    seen = (await client.get("/v1/me/notices", headers=child)).json()["items"]
    assert next(n for n in seen if n["id"] == notice["id"])["pending"] is False
    stranger = await login(STRANGER)
    assert (await client.post(url, headers=stranger)).status_code == 404


async def test_another_schools_notices_are_not_there(client, login, people):
    south_admin = await login(SOUTH_ADMIN)
    assert (await client.get(NOTICES, headers=south_admin)).status_code == 404
    assert (
        await client.post(NOTICES, json={"version": "9"}, headers=south_admin)
    ).status_code == 404
    student = await login(STUDENT)
    assert (await client.post(NOTICES, json={"version": "9"}, headers=student)).status_code == 403
    north_notice = _by(
        (await client.get(NOTICES, headers=await login(NORTH_ADMIN))).json()["items"], "school", "1"
    )
    south_only = await login("+8613700000005")
    accept = await client.post(f"/v1/me/notices/{north_notice['id']}/accept", headers=south_only)
    assert accept.status_code == 404
