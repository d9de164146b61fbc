"""The attested notice version must be one the school has (#11, PRX-2)."""

from __future__ import annotations

from tests.roster.helpers import NORTH, NORTH_ADMIN, consent, person


async def test_registering_with_a_notice_version_the_school_never_had_is_422(
    client, login, schools
):
    admin = await login(NORTH_ADMIN)
    unknown = person("13800000779", consent=consent(notice_version="999"))
    refused = await client.post(f"{NORTH}/members", json=unknown, headers=admin)
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "consent.notice_version"

    known = person("13800000779", consent=consent(notice_version="1"))
    accepted = await client.post(f"{NORTH}/members", json=known, headers=admin)
    assert accepted.status_code == 201, accepted.text


async def test_a_newly_published_version_may_be_attested(client, login, schools):
    admin = await login(NORTH_ADMIN)
    published = await client.post(f"{NORTH}/notices", json={"version": "2"}, headers=admin)
    assert published.status_code in (200, 201), published.text
    member = person("13800000780", consent=consent(notice_version="2"))
    accepted = await client.post(f"{NORTH}/members", json=member, headers=admin)
    assert accepted.status_code == 201, accepted.text


async def test_enrolling_a_new_person_checks_the_version_too(client, login, schools):
    admin = await login(NORTH_ADMIN)
    course = {"code": "NV-1", "name": "Notice", "starts_on": "2026-09-01", "ends_on": "2027-01-31"}
    created = await client.post(f"{NORTH}/courses", json=course, headers=admin)
    assert created.status_code == 201, created.text
    batch = {
        "entries": [{"phone": "13800000781", "role": "teacher"}],
        "consent": consent(notice_version="999"),
    }
    url = f"{NORTH}/courses/{created.json()['id']}/enrollments"
    refused = await client.post(url, json=batch, headers=admin)
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "consent.notice_version"
