from __future__ import annotations

from typing import Any

import pytest

from app.core.context import ServiceContext
from tests.retention.world import School, build


@pytest.fixture
async def world(owner: ServiceContext, schools: dict[str, Any]) -> dict[str, School]:
    return await build(owner, schools)
