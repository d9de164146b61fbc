"""Work that must wait for the commit (an object the rows no longer name) runs after a
commit and never after a rollback."""

from __future__ import annotations

import pytest

from app.core.db import Database, after_commit
from app.core.ids import new_id
from app.tenancy.models import Tenant


async def test_after_commit_runs_once_committed_and_not_after_a_rollback(owner):
    done: list[str] = []

    async def note(what: str) -> None:
        done.append(what)

    db: Database = owner.db
    async with db.session() as session:
        session.add(Tenant(id=new_id(), slug="after-commit", name="x", region="CN"))
        after_commit(session, lambda: note("committed"))
        assert done == []  # not before the commit
    assert done == ["committed"]

    with pytest.raises(RuntimeError):
        async with db.session() as session:
            after_commit(session, lambda: note("rolled back"))
            raise RuntimeError("the request failed")
    assert done == ["committed"]


async def note_nothing() -> None:
    return None


async def test_after_commit_is_refused_outside_a_transaction_of_database_session(owner):
    async with owner.db.sessionmaker() as session:
        with pytest.raises(RuntimeError, match=r"Database\.session"):
            after_commit(session, lambda: note_nothing())
