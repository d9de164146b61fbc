from __future__ import annotations

from typing import Any

import pytest

from app.core.context import ServiceContext
from tests.privacy.people import People, build_people


@pytest.fixture
async def people(owner: ServiceContext, schools: dict[str, Any]) -> People:
    return await build_people(owner, schools)
