"""Consent per category: withdrawn and granted again by the person or their guardian, each
change audited, and ingestion drops what a withdrawal covers (RGT-8/9, MIN-1/2, CLS-7)."""

from __future__ import annotations

from tests.classroom.conftest import (  # noqa: F401  (the classroom world fixture)
    CLASSMATE,
    GUARDIAN,
    SOUTH_ADMIN,
    STUDENT,
    event,
    send,
    world,
)
from tests.privacy.people import CHILD, STRANGER
from tests.privacy.people import GUARDIAN as CHILDS_GUARDIAN

CATEGORIES = {"camera", "microphone", "recording", "diagnostics", "location", "extended_features"}


async def test_a_guardian_withdraws_for_the_child_and_ingestion_drops_that_category(
    client,
    login,
    world,  # noqa: F811
):
    """RGT-10, ROL-6."""
    student = world.user(STUDENT)
    guardian = await login(GUARDIAN)
    before = await client.get(f"/v1/me/consents?student={student}", headers=guardian)
    assert before.status_code == 200
    assert {(c["school"], c["category"]) for c in before.json()["items"]} == {
        ("demo-north", c) for c in CATEGORIES
    }
    assert all(c["granted"] for c in before.json()["items"])

    withdrawn = await client.post(
        f"/v1/me/consents/microphone/withdraw?student={student}", headers=guardian
    )
    assert withdrawn.status_code == 200
    assert [(c["category"], c["granted"]) for c in withdrawn.json()["items"]] == [
        ("microphone", False)
    ]
    batch = [
        event(world, "behaviour.mic_on", 1),
        event(world, "behaviour.camera_on", 2),
        event(world, "behaviour.mic_on", 3, who=CLASSMATE),
    ]
    assert (await send(client, world.key, batch)).json() == {
        "accepted": 2,
        "duplicates": 0,
        "dropped": 1,
    }

    # The student sees who changed their consent, in their own audit view.
    own = await login(STUDENT)
    audit = (await client.get("/v1/me/audit", headers=own)).json()["items"]
    consent = [e for e in audit if e["record_kind"] == "consent"]
    assert len(consent) == 1 and consent[0]["actor_id"] == world.user(GUARDIAN)
    assert consent[0]["purpose"] == "rights_handling"

    # Withdrawing again changes nothing and is not audited twice; granting restores it.
    await client.post(f"/v1/me/consents/microphone/withdraw?student={student}", headers=guardian)
    granted = await client.post("/v1/me/consents/microphone/grant", headers=own)
    assert granted.json()["items"][0]["granted"] is True
    later = await send(client, world.key, [event(world, "behaviour.mic_on", 4)])
    assert later.json()["accepted"] == 1
    audit = (await client.get("/v1/me/audit", headers=own)).json()["items"]
    assert len([e for e in audit if e["record_kind"] == "consent"]) == 2


async def test_consents_of_another_school_or_child_are_not_there(
    client,
    login,
    world,  # noqa: F811
):
    south_admin = await login(SOUTH_ADMIN)
    elsewhere = await client.post(
        "/v1/me/consents/camera/withdraw?school=demo-north", headers=south_admin
    )
    assert elsewhere.status_code == 404
    guardian = await login(GUARDIAN)
    not_mine = await client.get(
        f"/v1/me/consents?student={world.user(CLASSMATE)}", headers=guardian
    )
    assert not_mine.status_code == 404 and not_mine.json()["field"] == "student"
    unknown = await client.post("/v1/me/consents/contacts/withdraw", headers=guardian)
    assert unknown.status_code == 422


async def test_only_the_guardian_gives_consent_again_for_a_child_under_14(client, login, people):
    """MIN-1: a child under 14 may withdraw, but consent is the guardian's to give."""
    child = await login(CHILD)
    withdrawn = await client.post("/v1/me/consents/location/withdraw", headers=child)
    assert withdrawn.status_code == 200 and withdrawn.json()["items"][0]["granted"] is False
    refused = await client.post("/v1/me/consents/location/grant", headers=child)
    assert refused.status_code == 403
    stranger = await login(STRANGER)
    cid = people.id(CHILD)
    assert (
        await client.post(f"/v1/me/consents/location/grant?student={cid}", headers=stranger)
    ).status_code == 404
    guardian = await login(CHILDS_GUARDIAN)
    granted = await client.post(f"/v1/me/consents/location/grant?student={cid}", headers=guardian)
    assert granted.status_code == 200 and granted.json()["items"][0]["granted"] is True
