"""The caller's own session: the refresh-token family its access token was issued in."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials

from app.accounts.deps import bearer
from app.core import clock
from app.core.deps import ContextDep
from app.core.ids import parse_id


async def caller_session_id(
    ctx: ContextDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> uuid.UUID | None:
    """None for tokens without a session (issued before sessions were recorded)."""
    if credentials is None:
        return None
    claims = ctx.keys.signer.verify(credentials.credentials, clock.now())
    if claims is None or claims.session_id is None:
        return None
    return parse_id(claims.session_id)


CallerSessionId = Annotated[uuid.UUID | None, Depends(caller_session_id)]
