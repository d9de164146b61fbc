"""Accounts tests hash passwords with cheap argon2 parameters (the real ones cost ~100 ms)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.config import Settings
from tests.conftest import TestDatabase, make_settings

CHEAP_ARGON2 = {"password_time_cost": 1, "password_memory_kib": 64, "password_parallelism": 1}


@pytest.fixture
def settings(database: TestDatabase, tmp_path: Path) -> Settings:
    return make_settings(database, tmp_path, **CHEAP_ARGON2)
