"""The `rostra` command against the test database (issue #3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from app.core.config import ROOT


def _rostra(settings, *args: str, tenants: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ROSTRA_DATABASE_URL": settings.owner_database_url,
        "ROSTRA_SECRET_KEY": settings.secret_key,
        "ROSTRA_TENANTS_DIR": str(tenants or ROOT / "tenants"),
        "ROSTRA_VAR_DIR": str(settings.var_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


async def test_tenants_apply_dry_run_then_apply_then_no_changes(settings):
    dry = _rostra(settings, "tenants", "apply", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "+ demo-north: create school" in dry.stdout
    assert "nothing written" in dry.stdout
    applied = _rostra(settings, "tenants", "apply")
    assert "applied: 2 school(s) changed" in applied.stdout
    again = _rostra(settings, "tenants", "apply")
    assert again.stdout.strip().endswith("no changes")


async def test_bad_tenant_file_exits_non_zero_naming_file_and_key(settings, tmp_path):
    folder = tmp_path / "tenants"
    folder.mkdir()
    (folder / "broken.toml").write_text('slug = "broken"\nname = ""\nregion = "CN"\n')
    done = _rostra(settings, "tenants", "apply", tenants=folder)
    assert done.returncode == 2
    assert "broken.toml" in done.stderr and "'name'" in done.stderr
    assert "nothing was applied" in done.stderr


async def test_sms_outbox_json_lists_codes_oldest_first(client, settings):
    from app.core import clock

    await client.post("/v1/auth/otp", json={"phone": "13700000042"})
    clock.advance(61)
    await client.post("/v1/auth/otp", json={"phone": "+86 137 0000 0042"})
    done = _rostra(settings, "sms", "outbox", "--phone", "13700000042", "--json")
    assert done.returncode == 0, done.stderr
    messages = json.loads(done.stdout)
    assert len(messages) == 2
    assert [set(m) >= {"phone", "code", "sent_at"} for m in messages] == [True, True]
    assert messages[0]["sent_at"] < messages[1]["sent_at"]
    assert messages[0]["phone"] == "+8613700000042"
    assert all(len(m["code"]) == 6 for m in messages)
