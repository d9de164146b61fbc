"""Who is reading the roster: a OneRoster client with a valid bearer token."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.core.deps import ContextDep, SessionDep
from app.oneroster import service
from app.oneroster.errors import StatusInfoError
from app.oneroster.service import RosterCaller
from app.oneroster.tokens import RosterTokens

roster_bearer = HTTPBearer(auto_error=False, description="access token from POST /oauth/token")


@lru_cache(maxsize=4)
def roster_tokens(secret_key: str) -> RosterTokens:
    return RosterTokens(secret_key)


async def tokens_of(ctx: ContextDep) -> RosterTokens:
    return roster_tokens(ctx.settings.secret_key)


TokensDep = Annotated[RosterTokens, Depends(tokens_of)]


async def roster_caller(
    request: Request,
    session: SessionDep,
    tokens: TokensDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(roster_bearer)],
) -> RosterCaller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise StatusInfoError(401, "unauthorisedrequest", "a bearer token is required")
    request_id = getattr(request.state, "request_id", None)
    caller = await service.caller_of_token(session, tokens, credentials.credentials, request_id)
    if caller is None:
        raise StatusInfoError(401, "unauthorisedrequest", "the token is expired or invalid")
    return caller


RosterCallerDep = Annotated[RosterCaller, Depends(roster_caller)]
