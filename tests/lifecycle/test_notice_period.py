"""The offboarding notice period is the school's own setting (tenant file), default 30 days."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from app.core.config import ROOT
from app.core.context import ServiceContext
from app.lifecycle.offboarding import start
from app.tenancy.repository import tenant_by_slug
from app.tenancy.service import apply_tenants


async def test_the_tenant_file_sets_the_notice_period(
    owner: ServiceContext, tmp_path: Path
) -> None:
    folder = tmp_path / "tenants"
    shutil.copytree(ROOT / "tenants", folder)
    north = folder / "demo-north.toml"
    north.write_text(
        north.read_text().replace(
            "late_after_minutes = 5", "late_after_minutes = 5\noffboarding_notice_days = 7"
        )
    )
    async with owner.db.session() as session:
        await apply_tenants(session, owner.keys, folder, dry_run=False)
    async with owner.db.session() as session:
        for slug, days in (("demo-north", 7), ("demo-south", 30)):
            tenant = await tenant_by_slug(session, slug)
            assert tenant is not None and tenant.offboarding_notice_days == days
            offboarding, _ = await start(session, tenant, None)
            assert offboarding.delete_after - offboarding.requested_at == timedelta(days=days)
