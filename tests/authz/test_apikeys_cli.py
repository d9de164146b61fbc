"""`rostra apikeys create SLUG NAME` prints a key that ingests into that school only."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import app as cli_app
from app.core.config import get_settings
from tests.classroom.conftest import event, send
from tests.classroom.conftest import world as world  # the classroom fixture, reused


@pytest.fixture
def cli_env(monkeypatch, settings):
    monkeypatch.setenv("ROSTRA_ENV", "test")
    monkeypatch.setenv("ROSTRA_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ROSTRA_MIGRATE_DATABASE_URL", settings.owner_database_url)
    monkeypatch.setenv("ROSTRA_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("ROSTRA_VAR_DIR", str(settings.var_dir))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def rostra(*args: str) -> Any:
    return await asyncio.to_thread(CliRunner().invoke, cli_app, list(args))


async def test_cli_key_ingests_and_unknown_school_fails(client, world, cli_env):
    result = await rostra("apikeys", "create", "demo-north", "classroom-prod")
    assert result.exit_code == 0, result.output
    key = result.output.strip()
    assert key.startswith(f"rk_{world.north.id.hex}_")
    response = await send(client, key, [event(world, "attendance.joined")])
    assert response.status_code == 202, response.text
    missing = await rostra("apikeys", "create", "no-such-school", "x")
    assert missing.exit_code == 2
