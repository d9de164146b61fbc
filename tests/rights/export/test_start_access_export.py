"""`start_access_export`, the entry point a rights request calls: the export and its job are
part of the caller's transaction (both or neither), and the request finds its export."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text

from app.core.context import ServiceContext
from app.jobs.wiring import drain
from app.rights.export import repository
from app.rights.export import tasks as _tasks  # noqa: F401  (registers the export job)
from app.rights.export.service import start_access_export
from tests.classroom.conftest import GUARDIAN, STUDENT, World


async def _queued(owner: ServiceContext) -> int:
    table = "procrastinate_jobs" if owner.db.is_postgres else "queued_job"
    async with owner.db.session() as session:
        return int((await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def test_a_rolled_back_request_leaves_no_export_and_no_job(
    owner: ServiceContext, world: World
) -> None:
    request_id = uuid.uuid4()
    with pytest.raises(RuntimeError):
        async with owner.db.session() as session:
            await start_access_export(
                session,
                account_id=world.people[STUDENT],
                requested_by=world.people[GUARDIAN],
                request_id=request_id,
            )
            raise RuntimeError("the rights request failed to save")
    async with owner.db.session() as session:
        assert await repository.export_for_request(session, request_id) is None
    assert await _queued(owner) == 0


async def test_a_committed_request_finds_its_ready_export(
    app: Any, owner: ServiceContext, world: World
) -> None:
    request_id = uuid.uuid4()
    async with owner.db.session() as session:
        export = await start_access_export(
            session,
            account_id=world.people[STUDENT],
            requested_by=world.people[STUDENT],
            request_id=request_id,
            language="en",
        )
    assert await _queued(owner) == 1
    await drain(app.state.ctx)
    async with owner.db.session() as session:
        found = await repository.export_for_request(session, request_id)
    assert found is not None and found.id == export.id
    assert found.status == "ready" and found.language == "en"
