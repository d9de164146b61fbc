"""Export tests reuse the classroom world (two schools, a class, a guardian, an API key)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.classroom.conftest import world  # noqa: F401  (the fixture)
from tests.conftest import TestDatabase
from tests.jobs.conftest import empty_procrastinate


@pytest.fixture(autouse=True)
def _empty_queue(database: TestDatabase) -> Iterator[None]:
    empty_procrastinate(database)
    yield
    empty_procrastinate(database)
