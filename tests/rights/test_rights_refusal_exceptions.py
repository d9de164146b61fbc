"""A refusal rests on an exception of the closed list, stored, shown and audited (RGT-21)."""

from __future__ import annotations

from tests.privacy.people import NORTH_ADMIN, SOUTH_ADMIN, STAFF, STUDENT, move_clock_to
from tests.rights.helpers import fresh_code, routed

NORTH = "/v1/tenants/demo-north/requests"
SOUTH = "/v1/tenants/demo-south/requests"
CODES = {
    "legal_obligation",
    "national_security",
    "public_interest",
    "criminal_proceedings",
    "malice_or_abuse",
    "vital_interests",
    "serious_harm_to_others",
    "trade_secrets",
}


async def _deletion(client, owner, login):
    headers = await login(STUDENT)
    code = await fresh_code(client, owner, STUDENT)
    body = {"type": "deletion", "grounds": "stopped_using", "details": "all", "sms_code": code}
    filed = await client.post("/v1/me/requests", json=body, headers=headers)
    assert filed.status_code == 201, filed.text
    return filed.json(), headers


async def test_a_refusal_names_a_listed_exception_which_is_stored_shown_and_audited(
    client, owner, login, people
):
    """RGT-21: no code or an unknown one is 422 naming `exception` and changes nothing; the
    code a school refuses under is in its part, the person's history and the audit log."""
    move_clock_to(2026, 12, 1)
    filed, headers = await _deletion(client, owner, login)
    part = routed(filed)["demo-south"]["id"]
    south = await login(SOUTH_ADMIN)
    url = f"{SOUTH}/{part}/decide"
    refuse = {"decision": "refuse", "reason": "the records are evidence in a case"}
    for extra in ({}, {"exception": "too_busy"}, {"exception": None}):
        bad = await client.post(url, json=refuse | extra, headers=south)
        assert bad.status_code == 422, bad.text
        assert bad.headers["content-type"].startswith("application/problem+json")
        assert bad.json()["field"] == "exception"
    approving = await client.post(
        url, json={"decision": "approve", "exception": "trade_secrets"}, headers=south
    )
    assert approving.status_code == 422 and approving.json()["field"] == "exception"
    partly = await client.post(
        url, json={"decision": "partial", "reason": "some of it"}, headers=south
    )
    assert partly.status_code == 422 and partly.json()["field"] == "exception"
    untouched = (await client.get(SOUTH, headers=south)).json()["items"][0]
    assert (untouched["decision"], untouched["exception"]) == (None, None)
    assert untouched["status"] not in {"refused", "done", "partly_done"}

    # Another school's admin cannot refuse it, through either school's path.
    north = await login(NORTH_ADMIN)
    chosen = refuse | {"exception": "criminal_proceedings"}
    for path in (f"{NORTH}/{part}/decide", url):
        assert (await client.post(path, json=chosen, headers=north)).status_code == 404

    done = await client.post(url, json=chosen, headers=south)
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["exception"]) == ("refused", "criminal_proceedings")
    assert done.json()["history"][-2]["exception"] == "criminal_proceedings"
    retry = await client.post(url, json=chosen, headers=south)
    assert retry.status_code == 200 and retry.json()["exception"] == "criminal_proceedings"

    mine = (await client.get(f"/v1/me/requests/{filed['id']}", headers=headers)).json()
    shown = routed(mine)["demo-south"]
    assert shown["exception"] == "criminal_proceedings"
    assert [s["exception"] for s in shown["history"] if s["by_kind"] == "school"] == [
        "criminal_proceedings"
    ]

    audit = await client.get("/v1/tenants/demo-south/audit?kind=rights_request", headers=south)
    assert audit.status_code == 200, audit.text
    decided = [e["detail"] for e in audit.json()["items"] if "decided" in e["detail"]]
    assert decided == [{"decided": "refuse", "exception": "criminal_proceedings"}]
    north_audit = await client.get(
        "/v1/tenants/demo-north/audit?kind=rights_request", headers=north
    )
    assert all("exception" not in e["detail"] for e in north_audit.json()["items"])


async def test_platform_staff_refuse_the_account_part_only_under_a_listed_exception(
    client, owner, login, people
):
    """RGT-21: the account part Rostra decides obeys the same list."""
    filed, _ = await _deletion(client, owner, login)
    staff = await login(STAFF)
    url = f"/v1/platform/requests/{filed['id']}/decide"
    body = {"decision": "refuse", "reason": "a court order keeps the account"}
    missing = await client.post(url, json=body, headers=staff)
    assert missing.status_code == 422 and missing.json()["field"] == "exception"
    refused = await client.post(url, json=body | {"exception": "legal_obligation"}, headers=staff)
    assert refused.status_code == 200, refused.text
    platform = routed(refused.json())["platform"]
    assert (platform["status"], platform["exception"]) == ("refused", "legal_obligation")
    assert platform["history"][-1]["exception"] == "legal_obligation"
