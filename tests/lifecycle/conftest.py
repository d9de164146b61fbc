"""Lifecycle tests: the privacy people (two schools, a child and guardian, staff), and jobs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.core.context import ServiceContext
from tests.conftest import TestDatabase
from tests.jobs.conftest import empty_procrastinate
from tests.privacy.people import People, build_people


@pytest.fixture
async def people(owner: ServiceContext, schools: dict[str, Any]) -> People:
    return await build_people(owner, schools)


@pytest.fixture(autouse=True)
def _empty_queue(database: TestDatabase) -> Iterator[None]:
    empty_procrastinate(database)
    yield
    empty_procrastinate(database)
