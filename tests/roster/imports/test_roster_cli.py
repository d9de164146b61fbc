"""`rostra roster import|export` against the test database."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import func, select
from sqlmodel import col

from app.core.config import ROOT
from app.core.db import set_tenant
from app.roster.models import Course, Enrollment
from tests.roster.imports.test_roster_import import school_zip


def _rostra(settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ROSTRA_DATABASE_URL": settings.database_url,
        "ROSTRA_MIGRATE_DATABASE_URL": settings.owner_database_url,
        "ROSTRA_SECRET_KEY": settings.secret_key,
        "ROSTRA_TENANTS_DIR": str(ROOT / "tenants"),
        "ROSTRA_VAR_DIR": str(settings.var_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "roster", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


async def _counts(owner, tenant) -> tuple[int, int]:
    async with owner.db.session() as session:
        await set_tenant(session, tenant.id)
        out = []
        for model in (Course, Enrollment):
            q = select(func.count()).select_from(model).where(col(model.tenant_id) == tenant.id)
            out.append(int((await session.execute(q)).scalar_one()))
        return out[0], out[1]


async def test_cli_dry_run_import_export_round_trip(settings, schools, owner, tmp_path):
    north, south = schools["demo-north"], schools["demo-south"]
    roster = tmp_path / "roster.zip"
    roster.write_bytes(school_zip())
    dry = _rostra(settings, "import", "demo-north", str(roster), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert '"created": 5' in dry.stdout and "nothing written" in dry.stdout
    assert await _counts(owner, north) == (0, 0)
    done = _rostra(settings, "import", "demo-north", str(roster))
    assert done.returncode == 0, done.stderr
    assert await _counts(owner, north) == (2, 4)
    exported = tmp_path / "north.zip"
    out = _rostra(settings, "export", "demo-north", str(exported))
    assert out.returncode == 0, out.stderr
    assert exported.read_bytes()[:2] == b"PK"
    into_south = _rostra(settings, "import", "demo-south", str(exported), "--format", "oneroster")
    assert into_south.returncode == 0, into_south.stderr
    assert await _counts(owner, south) == (2, 4)


async def test_cli_row_errors_exit_non_zero_and_write_nothing(settings, schools, owner, tmp_path):
    bad = tmp_path / "roster.csv"
    bad.write_text("phone,name,role,course_code\n12,Nobody,student,NOPE\n")
    done = _rostra(settings, "import", "demo-north", str(bad), "--format", "csv")
    assert done.returncode == 1
    assert "roster.csv:2: phone:" in done.stderr and "nothing was written" in done.stderr
    missing = _rostra(settings, "export", "no-such-school", str(tmp_path / "x.zip"))
    assert missing.returncode == 2
