"""`rostra tenants apply`: plan first, idempotent, all-or-nothing on a bad file (issue #3)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.core.config import ROOT
from app.tenancy.models import Membership, Tenant
from app.tenancy.service import apply_tenants
from app.tenancy.tenantfile import TenantFileError


async def _counts(owner) -> tuple[int, int]:
    async with owner.db.session() as session:
        tenants = (await session.execute(select(func.count()).select_from(Tenant))).scalar_one()
        members = (await session.execute(select(func.count()).select_from(Membership))).scalar_one()
    return tenants, members


async def test_dry_run_writes_nothing_then_apply_twice_is_a_no_op(owner):
    async with owner.db.session() as session:
        plans = await apply_tenants(session, owner.keys, ROOT / "tenants", dry_run=True)
    assert {p.slug for p in plans if p.create} == {"demo-north", "demo-south"}
    assert await _counts(owner) == (0, 0)

    async with owner.db.session() as session:
        first = await apply_tenants(session, owner.keys, ROOT / "tenants", dry_run=False)
    assert all(p.create for p in first)
    assert await _counts(owner) == (2, 2)

    async with owner.db.session() as session:
        second = await apply_tenants(session, owner.keys, ROOT / "tenants", dry_run=False)
    assert all(p.empty for p in second)
    assert await _counts(owner) == (2, 2)


async def test_changed_file_shows_the_difference(owner, tmp_path: Path):
    folder = tmp_path / "tenants"
    shutil.copytree(ROOT / "tenants", folder)
    async with owner.db.session() as session:
        await apply_tenants(session, owner.keys, folder, dry_run=False)
    north = folder / "demo-north.toml"
    north.write_text(north.read_text().replace("North Demo School", "North Academy"))
    async with owner.db.session() as session:
        plans = await apply_tenants(session, owner.keys, folder, dry_run=False)
    changed = {p.slug: p for p in plans}["demo-north"]
    assert changed.changes == ["name: 'North Demo School' -> 'North Academy'"]


@pytest.mark.parametrize(
    ("content", "key"),
    [
        ('slug = "bad-school"\nname = "X"\nregion = "CN"\n', "admins"),
        (
            'slug = "bad-school"\nname = "X"\nregion = "CN"\n[[admins]]\nphone = "12"\n',
            "admins.0.phone",
        ),
        (
            'slug = "other"\nname = "X"\nregion = "CN"\n[[admins]]\nphone = "+8613800000001"\n',
            "slug",
        ),
        ("slug = = broken", "(file)"),
        (
            'slug = "bad-school"\nname = "X"\nregion = "CN"\n[options]\nno_such_option = true\n'
            '[[admins]]\nphone = "+8613800000001"\n',
            "options.no_such_option",
        ),
    ],
)
async def test_bad_file_names_file_and_key_and_applies_nothing(owner, tmp_path, content, key):
    folder = tmp_path / "tenants"
    shutil.copytree(ROOT / "tenants", folder)
    (folder / "bad-school.toml").write_text(content)
    with pytest.raises(TenantFileError) as caught:
        async with owner.db.session() as session:
            await apply_tenants(session, owner.keys, folder, dry_run=False)
    assert caught.value.path.name == "bad-school.toml"
    assert caught.value.key == key
    assert await _counts(owner) == (0, 0)
