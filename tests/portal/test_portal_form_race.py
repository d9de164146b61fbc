"""A portal form's POST and a commit beside it on SQLite (#10): the "database is locked"
flake of the browser journeys, made to happen every time.

The form reads (is the course code free?) and then writes, inside a savepoint. Here
another connection commits between that read and that write, as the audit sealer or
the job worker might: before, the form's write failed at once (500, "database is
locked"). The savepoint now begins the transaction with the write lock, so the other
writer is the one that waits (here: refused at once, it waits zero seconds), and the
form goes through.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from sqlalchemy import event

from tests.classroom.conftest import NORTH_ADMIN
from tests.conftest import BACKENDS
from tests.portal.conftest import csrf_of

COURSE = {"code": "M7", "name": "数学", "starts_on": "2026-09-01", "ends_on": "2027-01-31"}


def _commit_beside(path: str) -> str:
    """Another connection writes and commits at once, or is told the database is busy."""
    other = sqlite3.connect(path, timeout=0)
    try:
        with other:
            # A real change (SQLite skips rewriting a row with the same bytes).
            other.execute("UPDATE tenant SET name = name || '.' WHERE slug = 'demo-south'")
        return "committed"
    except sqlite3.OperationalError as exc:
        return str(exc)
    finally:
        other.close()


@pytest.mark.parametrize("database", [BACKENDS[0]], indirect=True)
async def test_a_form_post_goes_through_when_another_connection_writes_mid_request(
    app: Any, sign_in, schools, settings
):
    admin = await sign_in(NORTH_ADMIN)
    token = csrf_of((await admin.get("/portal/s/demo-north/admin/courses")).text)
    path = settings.database_url.removeprefix("sqlite+aiosqlite:///")
    beside: list[str] = []

    def between_read_and_write(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("INSERT INTO course ") and not beside:
            beside.append(_commit_beside(path))

    engine = app.state.ctx.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", between_read_and_write)
    try:
        made = await admin.post(
            "/portal/s/demo-north/admin/courses", data={"csrf": token, **COURSE}
        )
    finally:
        event.remove(engine, "before_cursor_execute", between_read_and_write)
    assert beside == ["database is locked"]  # the form held the write lock
    assert made.status_code == 303, made.text
    listed = await admin.get("/portal/s/demo-north/admin/courses")
    assert "M7" in listed.text and "数学" in listed.text
    assert _commit_beside(path) == "committed"  # and let go of it with its commit
