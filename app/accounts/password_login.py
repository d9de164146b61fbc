"""Setting a password and signing in with one; tokens and sessions as for SMS codes (ACC-5)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import passwords, service, sessions
from app.accounts.models import Account
from app.core import locks
from app.core.config import Settings
from app.core.errors import Forbidden, Unauthorized
from app.core.security import Keys


class RecentSignInRequired(Forbidden):
    type, title = "recent-sign-in-required", "Sign in again or confirm with a fresh SMS code"


class WrongCode(Forbidden):
    type, title = "invalid-code", "The code is wrong, expired or used up"


class InvalidPassword(Unauthorized):
    type, title = "invalid-password", "The phone number or the password is wrong"


class CodeRequired(Unauthorized):
    type, title = "code-required", "Sign in with an SMS code first"


async def set_password(
    session: AsyncSession,
    settings: Settings,
    keys: Keys,
    account: Account,
    password: str,
    code: str | None,
    caller_family: uuid.UUID | None,
) -> None:
    """Needs a session under the fresh age or a fresh code; ends every other session."""
    e164 = service.phone_of(keys, account)
    passwords.check_strength(settings, password, e164)
    passwords.admit(settings)
    if code is not None:
        if not await service.verify_code(session, settings, keys, e164, code):
            raise WrongCode("the code is wrong, expired or used up")
    elif not await sessions.is_fresh(
        session, account, caller_family, settings.password_fresh_session_seconds
    ):
        raise RecentSignInRequired(
            "this session is too old to change the password; send a fresh SMS code with it"
        )
    account.password_hash = await passwords.hash_password(settings, password)
    await sessions.end_all(session, account, keep_family=caller_family)


async def sign_in(
    session: AsyncSession,
    settings: Settings,
    keys: Keys,
    e164: str,
    password: str,
    device: sessions.Device,
) -> service.TokenPair:
    """A token pair for the right password; 429 after as many wrong ones as a code allows."""
    passwords.admit(settings)  # too many hashes waiting: 429 before any database work
    digest = service.phone_hash(keys, e164)
    # One try of a number at a time across processes: the count, the check and the new
    # failure are one step, so tries at once cannot all pass a check made before any counted.
    await locks.xact_lock(session, service.sign_in_lock(digest))
    await passwords.refuse_if_locked(session, settings, digest)
    account = await service.find_account(session, keys, e164)
    if account is None or not await passwords.verify_password(settings, account, password):
        passwords.count_failure(session, digest)
        raise InvalidPassword("the phone number or the password is wrong")
    if account.status != "active":
        raise Unauthorized("this account cannot sign in")
    if account.code_required:
        raise CodeRequired("this account was reported compromised: sign in with an SMS code")
    await passwords.forget_failures(session, digest)
    return await sessions.sign_in(session, settings, keys, account, device, via="password")
