"""The subject of a `/v1/me` privacy call: the caller, or their child (`?student=<id>`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from app.accounts.deps import CurrentAccount
from app.core.deps import SessionDep
from app.privacy.subjects import Subject, resolve_subject

StudentQuery = Annotated[
    str | None, Query(description="a guardian acts for this child (their account id)")
]


async def current_subject(
    account: CurrentAccount, session: SessionDep, student: StudentQuery = None
) -> Subject:
    return await resolve_subject(session, account, student)


SubjectDep = Annotated[Subject, Depends(current_subject)]
