"""Job tests: procrastinate's tables are not in the app's metadata, so they are emptied here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from app.core.migrate import sync_url
from tests.conftest import TestDatabase


def empty_procrastinate(database: TestDatabase) -> None:
    if not database.is_postgres:
        return
    engine = create_engine(sync_url(database.owner_url))
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE procrastinate_jobs, procrastinate_workers CASCADE"))
    engine.dispose()


@pytest.fixture(autouse=True)
def _empty_queue(database: TestDatabase) -> Iterator[None]:
    empty_procrastinate(database)
    yield
    empty_procrastinate(database)
