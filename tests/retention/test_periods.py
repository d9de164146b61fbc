"""Periods: every table is swept by a category or kept for a stated reason; a school's tenant
file may shorten a period (applied, shown, used by the sweep) but never lengthen one (RET-3,
RET-7); `rostra retention sweep` prints per category what it would do and did."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.config import ROOT
from app.core.retention import get_retention, load_retention
from app.core.vocabulary import RetentionCategory
from app.retention.rules import rules_for, swept_tables
from app.retention.service import sweep_all
from app.schema import metadata
from app.tenancy.service import apply_tenants
from app.tenancy.tenantfile import TenantFileError
from tests.retention.world import NORTH_ADMIN


def test_ret3_every_category_has_a_period_and_a_reason_and_every_table_an_answer():
    policy = load_retention()
    assert set(policy.periods) == set(RetentionCategory)
    assert all(p.reason and p.days >= 1 for p in policy.periods.values())
    tables = {t.name for t in metadata.sorted_tables}
    swept, kept = swept_tables(), set(policy.kept)
    assert tables - swept - kept == set(), "a table with neither a category nor a reason"
    assert swept & kept == set()
    assert kept - tables == set(), "[kept] names a table that does not exist"
    assert [c for c in RetentionCategory if not rules_for(c)] == [], "a period no rule applies"


def _tenants(tmp_path: Path, extra: str) -> Path:
    folder = tmp_path / "tenants"
    shutil.copytree(ROOT / "tenants", folder)
    north = folder / "demo-north.toml"
    north.write_text(north.read_text() + extra)
    return folder


async def test_ret7_a_shortened_period_is_applied_shown_and_swept_by(
    owner, client, login, world, tmp_path
):
    folder = _tenants(tmp_path, "\n[retention]\nbehaviour = 7\n")
    async with owner.db.session() as session:
        plans = await apply_tenants(session, owner.keys, folder, dry_run=False)
    north = next(p for p in plans if p.slug == "demo-north")
    assert north.changes == ["retention: {} -> {'behaviour': 7}"]
    admin = await login(NORTH_ADMIN)
    periods = {
        p["category"]: p
        for p in (await client.get("/v1/tenants/demo-north/retention", headers=admin)).json()[
            "periods"
        ]
    }
    assert (periods["behaviour"]["days"], periods["behaviour"]["shortened"]) == (7, True)
    assert (periods["tool_use"]["days"], periods["tool_use"]["shortened"]) == (365, False)
    [report] = await sweep_all(
        owner.db,
        owner.settings,
        "demo-north",
        [RetentionCategory.BEHAVIOUR],
        dry_run=True,
        batch_size=100,
        trigger="cli",
    )
    assert report.categories[0].days == 7


@pytest.mark.parametrize(
    ("extra", "key", "says"),
    [
        ("recording = 400\n", "retention.recording", "longer than the platform's 180"),
        ("otp_code = 1\n", "retention.otp_code", "platform category"),
        ("homework = 10\n", "retention.homework", "unknown data category"),
        ("snapshot = 0\n", "retention.snapshot", "at least 1 day"),
    ],
)
async def test_ret7_a_longer_or_unknown_period_is_refused_naming_the_key(
    owner, tmp_path, extra, key, says
):
    folder = _tenants(tmp_path, "\n[retention]\n" + extra)
    with pytest.raises(TenantFileError) as refused:
        async with owner.db.session() as session:
            await apply_tenants(session, owner.keys, folder, dry_run=False)
    assert refused.value.key == key and says in refused.value.reason


def _rostra(settings, *args: str, tenants: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ROSTRA_DATABASE_URL": settings.owner_database_url,
        "ROSTRA_SECRET_KEY": settings.secret_key,
        "ROSTRA_TENANTS_DIR": str(tenants or ROOT / "tenants"),
        "ROSTRA_VAR_DIR": str(settings.var_dir),
        "ROSTRA_OBJECT_STORE_DIR": str(settings.object_store_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


async def test_ret7_tenants_apply_refuses_a_longer_period_with_exit_2(settings, tmp_path):
    folder = _tenants(tmp_path, "\n[retention]\nrecording = 400\n")
    done = _rostra(settings, "tenants", "apply", tenants=folder)
    assert done.returncode == 2
    assert "demo-north.toml" in done.stderr and "'retention.recording'" in done.stderr
    assert "nothing was applied" in done.stderr


async def test_ret4_the_cli_prints_what_it_would_do_then_what_it_did(settings, world):
    dry = _rostra(settings, "retention", "sweep", "--dry-run", "--school", "demo-north")
    assert dry.returncode == 0, dry.stderr
    assert "demo-north: would remove (dry run)" in dry.stdout
    assert "behaviour (365 days, delete): classroom_event: would 10" in dry.stdout
    assert "audit (1095 days, delete): not swept: no signed checkpoint" in dry.stdout
    done = _rostra(settings, "retention", "sweep", "--school", "demo-north")
    assert done.returncode == 0, done.stderr
    assert "behaviour (365 days, delete): classroom_event: deleted 10" in done.stdout
    assert "rollup (730 days, anonymise): lesson_rollup: anonymised 2" in done.stdout
    unknown = _rostra(settings, "retention", "sweep", "--school", "nowhere")
    assert unknown.returncode == 2 and "no school 'nowhere'" in unknown.stderr


def test_the_policy_is_loaded_once():
    assert get_retention() is get_retention()
