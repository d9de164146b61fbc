"""Who is calling: a person with a bearer access token."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.accounts import repository
from app.accounts.models import Account
from app.core import clock
from app.core.deps import ContextDep, SessionDep
from app.core.errors import Forbidden, Unauthorized
from app.core.ids import parse_id

bearer = HTTPBearer(auto_error=False, description="access token from POST /v1/auth/token")


async def token_account_id(
    ctx: ContextDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> uuid.UUID:
    """The account a valid access token names (not yet checked against the database)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("a bearer access token is required")
    claims = ctx.keys.signer.verify(credentials.credentials, clock.now())
    account_id = parse_id(claims.account_id) if claims else None
    if account_id is None:
        raise Unauthorized("the access token is missing, expired or invalid")
    return account_id


TokenAccountId = Annotated[uuid.UUID, Depends(token_account_id)]


def signed_in(request: Request, account: Account | None) -> Account:
    """The token's account, if it still exists and may sign in."""
    if account is None or account.status != "active":
        raise Unauthorized("the access token is missing, expired or invalid")
    request.state.account_id = account.id
    return account


async def current_account(
    request: Request, session: SessionDep, account_id: TokenAccountId
) -> Account:
    return signed_in(request, await repository.account_by_id(session, account_id))


CurrentAccount = Annotated[Account, Depends(current_account)]


async def staff_account(account: CurrentAccount) -> Account:
    """Platform staff only: anyone else signed in gets 403."""
    if not account.is_staff:
        raise Forbidden("only platform staff may do this")
    return account


StaffAccount = Annotated[Account, Depends(staff_account)]
