"""Purpose binding (PUR-1): a read names a purpose; one that does not cover the kind is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import col

from app.authz.models import AuditEntry
from app.core.db import set_tenant
from tests.authz.world import PHONES, World, build_world

A = "demo-north"


@pytest.fixture
async def world(owner, schools) -> World:
    return await build_world(owner, schools)


async def _purposes(owner, tenant) -> list[str | None]:
    async with owner.db.session() as session:
        await set_tenant(session, tenant.id)
        rows = await session.execute(
            select(col(AuditEntry.purpose))
            .where(col(AuditEntry.tenant_id) == tenant.id)
            .order_by(col(AuditEntry.id))
        )
        return list(rows.scalars())


async def test_a_purpose_outside_the_kind_is_refused_even_for_an_admin(client, login, owner, world):
    """PRX-5."""
    admin = await login(PHONES["admin"])
    path = f"/v1/tenants/{A}/members"
    for purpose in ("security", "learning_record", "marketing"):
        refused = await client.get(path, params={"purpose": purpose}, headers=admin)
        assert refused.status_code == 403, purpose
        assert refused.json()["type"].endswith("/purpose-refused")
        assert refused.json()["field"] == "purpose"
    assert await _purposes(owner, world.a) == []  # a refused read reads nothing


async def test_the_named_or_declared_purpose_is_recorded(client, login, owner, world):
    admin = await login(PHONES["admin"])
    path = f"/v1/tenants/{A}/members"
    assert (await client.get(path, headers=admin)).status_code == 200
    narrowed = await client.get(path, params={"purpose": "technical_support"}, headers=admin)
    assert narrowed.status_code == 200
    assert await _purposes(owner, world.a) == ["teaching_management", "technical_support"]


async def test_role_refusal_comes_before_purpose(client, login, world):
    student = await login(PHONES["student"])
    response = await client.get(
        f"/v1/tenants/{A}/members", params={"purpose": "security"}, headers=student
    )
    assert response.status_code == 403
    assert response.json()["type"].endswith("/forbidden")
