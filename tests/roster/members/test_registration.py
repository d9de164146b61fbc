"""Proxy registration by phone with the school's consent attestation (PRX-1/2/6, MIN-1/2/9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import col

from app.core.db import set_tenant
from app.roster.models import ConsentAttestation, Guardianship
from app.tenancy.models import Membership
from tests.roster.helpers import NORTH, NORTH_ADMIN, SOUTH, SOUTH_ADMIN, consent, fields, person


async def _count(owner, model, tenant) -> int:
    async with owner.db.session() as session:
        await set_tenant(session, tenant.id)
        result = await session.execute(
            select(func.count()).select_from(model).where(col(model.tenant_id) == tenant.id)
        )
        return int(result.scalar_one())


async def test_admin_registers_a_teacher_pending_with_masked_phone(client, schools, login, owner):
    """PUR-2, PUR-10."""
    headers = await login(NORTH_ADMIN)
    r = await client.post(f"{NORTH}/members", json=person("13800000401"), headers=headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "pending" and body["role"] == "teacher"
    assert body["phone_masked"] == "+86 138****0401"
    async with owner.db.session() as session:
        await set_tenant(session, schools["demo-north"].id)
        row = (await session.execute(select(ConsentAttestation))).scalar_one()
    assert row.given_by == "self" and row.method == "paper_form" and row.notice_version == "1"
    assert row.attested_by is not None


async def test_registering_the_same_number_and_role_again_is_idempotent(client, schools, login):
    headers = await login(NORTH_ADMIN)
    first = await client.post(f"{NORTH}/members", json=person("13800000402"), headers=headers)
    again = await client.post(f"{NORTH}/members", json=person("13800000402"), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]


async def test_under_14_needs_guardian_phone_and_guardian_consent(client, schools, login, owner):
    """MIN-3."""
    headers = await login(NORTH_ADMIN)
    young = person("13800000403", "student", age_band="under14")
    r = await client.post(f"{NORTH}/members", json=young, headers=headers)
    assert r.status_code == 422
    assert {"guardian_phone", "consent.given_by"} <= fields(r)
    assert await _count(owner, Membership, schools["demo-north"]) == 1  # the admin only

    ok = young | {"guardian_phone": "13800000503", "consent": consent("guardian")}
    r = await client.post(f"{NORTH}/members", json=ok, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["age_band"] == "under14"
    async with owner.db.session() as session:
        await set_tenant(session, schools["demo-north"].id)
        link = (await session.execute(select(Guardianship))).scalar_one()
        tenant_id = schools["demo-north"].id
        query = select(Membership.role).where(col(Membership.tenant_id) == tenant_id)
        roles = (await session.execute(query)).scalars().all()
        attest = (
            await session.execute(
                select(ConsentAttestation).where(col(ConsentAttestation.given_by) == "guardian")
            )
        ).scalar_one()
    assert sorted(roles) == ["guardian", "school_admin", "student"], roles
    assert attest.guardian_id == link.guardian_id


async def test_14_to_17_accepts_self_or_guardian_adult_only_self(client, schools, login):
    headers = await login(NORTH_ADMIN)
    teen_self = person("13800000404", "student", age_band="14to17")
    assert (
        await client.post(f"{NORTH}/members", json=teen_self, headers=headers)
    ).status_code == 201
    teen_guardian = person(
        "13800000405",
        "student",
        age_band="14to17",
        guardian_phone="13800000505",
        consent=consent("guardian"),
    )
    r = await client.post(f"{NORTH}/members", json=teen_guardian, headers=headers)
    assert r.status_code == 201
    teen_no_guardian = person(
        "13800000406", "student", age_band="14to17", consent=consent("guardian")
    )
    r = await client.post(f"{NORTH}/members", json=teen_no_guardian, headers=headers)
    assert r.status_code == 422 and "guardian_phone" in fields(r)
    adult_by_guardian = person("13800000407", "student", consent=consent("guardian"))
    r = await client.post(f"{NORTH}/members", json=adult_by_guardian, headers=headers)
    assert r.status_code == 422 and "consent.given_by" in fields(r)
    no_band = person("13800000408", "student", age_band=None)
    r = await client.post(f"{NORTH}/members", json=no_band, headers=headers)
    assert r.status_code == 422 and "age_band" in fields(r)


async def test_consent_must_name_a_notice_and_not_be_in_the_future(client, schools, login):
    headers = await login(NORTH_ADMIN)
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    bad = person("13800000409", consent=consent(notice_version="  ", given_at=future))
    r = await client.post(f"{NORTH}/members", json=bad, headers=headers)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert fields(r) == {"consent.notice_version", "consent.given_at"}
    wrong = person("13800000409", consent=consent(method="telepathy"))
    r = await client.post(f"{NORTH}/members", json=wrong, headers=headers)
    assert r.status_code == 422 and "consent.method" in fields(r)


async def test_bad_phone_is_422_naming_phone(client, schools, login):
    headers = await login(NORTH_ADMIN)
    r = await client.post(f"{NORTH}/members", json=person("12345"), headers=headers)
    assert r.status_code == 422 and r.json()["field"] == "phone"


async def test_existing_account_from_another_school_is_linked_not_duplicated(
    client, schools, login, owner
):
    north, south = await login(NORTH_ADMIN), await login(SOUTH_ADMIN)
    a = await client.post(f"{NORTH}/members", json=person("13800000410"), headers=north)
    b = await client.post(f"{SOUTH}/members", json=person("13800000410"), headers=south)
    assert a.status_code == b.status_code == 201
    assert a.json()["account_id"] == b.json()["account_id"]
    assert a.json()["id"] != b.json()["id"]
    # The linked person, as school B's admin, sees nothing of school A.
    south_members = await client.get(f"{SOUTH}/members", headers=south)
    assert a.json()["id"] not in {m["id"] for m in south_members.json()["items"]}
    r = await client.get(f"{SOUTH}/members/{a.json()['id']}", headers=south)
    assert r.status_code == 404


async def test_only_admins_register_and_other_schools_get_404(client, schools, login, owner):
    admin = await login(NORTH_ADMIN)
    await client.post(f"{NORTH}/members", json=person("13800000411"), headers=admin)
    teacher = await login("13800000411")
    r = await client.post(f"{NORTH}/members", json=person("13800000412"), headers=teacher)
    assert r.status_code == 403
    south = await login(SOUTH_ADMIN)
    r = await client.post(f"{NORTH}/members", json=person("13800000412"), headers=south)
    assert r.status_code == 404


async def test_deactivate_and_reactivate(client, schools, login):
    admin = await login(NORTH_ADMIN)
    member = (
        await client.post(f"{NORTH}/members", json=person("13800000413"), headers=admin)
    ).json()
    teacher = await login("13800000413")
    assert (await client.get(f"{NORTH}/courses", headers=teacher)).status_code == 200
    r = await client.post(
        f"{NORTH}/members/{member['id']}/deactivate", json={"reason": "left"}, headers=admin
    )
    assert r.status_code == 200
    assert r.json()["status"] == "inactive" and r.json()["status_reason"] == "left"
    # No longer able to act in that school: answered like a stranger.
    assert (await client.get(f"{NORTH}/courses", headers=teacher)).status_code == 404
    again = await client.post(f"{NORTH}/members", json=person("13800000413"), headers=admin)
    assert again.status_code == 409
    r = await client.post(f"{NORTH}/members/{member['id']}/reactivate", headers=admin)
    assert r.status_code == 200 and r.json()["status"] == "pending"
    assert (await client.get(f"{NORTH}/courses", headers=teacher)).status_code == 200
    south = await login(SOUTH_ADMIN)
    for path in ("deactivate", "reactivate"):
        r = await client.post(
            f"{NORTH}/members/{member['id']}/{path}", json={"reason": "x"}, headers=south
        )
        assert r.status_code == 404
        r = await client.post(
            f"{SOUTH}/members/{member['id']}/{path}", json={"reason": "x"}, headers=south
        )
        assert r.status_code == 404
    r = await client.post(f"{NORTH}/members/{member['id']}/deactivate", json={}, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "reason"
