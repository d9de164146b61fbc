"""Accounts and login: one-time SMS codes, access and refresh tokens. No HTTP here."""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import lockout, repository, sms_caps
from app.accounts.models import Account, OtpCode, RefreshToken
from app.accounts.sms import SmsSender
from app.core import clock, locks
from app.core.config import Settings
from app.core.db import set_account
from app.core.errors import TooMany, Unauthorized
from app.core.ids import new_id
from app.core.logging import log
from app.core.phones import mask
from app.core.security import Keys, keyed_hash, random_code, random_token, sha256_hex


def phone_hash(keys: Keys, e164: str) -> str:
    return keyed_hash(keys.phone_lookup, e164)


def sign_in_lock(digest: str) -> str:
    """The lock a number's code and password tries take (`app.core.locks`): their shared
    budget is counted, checked and charged one try at a time, in any process."""
    return f"sign-in:{digest}"


def phone_of(keys: Keys, account: Account) -> str:
    """The plaintext number: only for the person themself or for sending them a message
    ("" for a learner without a phone of their own)."""
    return plain_phone(keys, account.phone_enc)


# A learner without a phone of their own (registered under a guardian's number) has an
# account no number leads to: no login until the school adds their own phone. Like a
# cancelled account's `cancelled:` key, the lookup key is no phone hash at all.
NO_PHONE_PREFIX = "nophone:"


def no_phone_hash(account_id: uuid.UUID) -> str:
    return f"{NO_PHONE_PREFIX}{account_id.hex}"


def has_phone(account: Account) -> bool:
    return not account.phone_hash.startswith(NO_PHONE_PREFIX)


def plain_phone(keys: Keys, sealed: str) -> str:
    """A stored number in plaintext; an account without one has nothing sealed."""
    return keys.phone_cipher.decrypt(sealed) if sealed else ""


def new_learner_without_phone(display_name: str | None) -> Account:
    """A person of their own (own id, records, consents) whose guardian signs in for them."""
    account_id = new_id()
    return Account(
        id=account_id,
        phone_hash=no_phone_hash(account_id),
        phone_enc="",
        phone_masked="",
        display_name=display_name,
        registered_via="school",
    )


def give_phone(keys: Keys, account: Account, e164: str) -> None:
    """The learner's own number from now on: they sign in themself; nothing else moves."""
    account.phone_hash = phone_hash(keys, e164)
    account.phone_enc = keys.phone_cipher.encrypt(e164)
    account.phone_masked = mask(e164)


async def find_account(session: AsyncSession, keys: Keys, e164: str) -> Account | None:
    return await repository.account_by_phone_hash(session, phone_hash(keys, e164))


def new_account(
    keys: Keys, e164: str, display_name: str | None = None, registered_via: str = "self"
) -> Account:
    return Account(
        phone_hash=phone_hash(keys, e164),
        phone_enc=keys.phone_cipher.encrypt(e164),
        phone_masked=mask(e164),
        display_name=display_name,
        registered_via=registered_via,
    )


async def get_or_create_account(
    session: AsyncSession,
    keys: Keys,
    e164: str,
    display_name: str | None = None,
    registered_via: str = "self",
) -> tuple[Account, bool]:
    """One account per number: an existing one is linked, never duplicated (PRX-6)."""
    existing = await find_account(session, keys, e164)
    if existing is not None:
        return existing, False
    account = new_account(keys, e164, display_name, registered_via)
    session.add(account)
    await session.flush()
    return account, True


def _code_hmac(keys: Keys, e164: str, code: str) -> str:
    # Keyed and bound to the number: six digits under a plain hash fall in under a second.
    return keyed_hash(keys.otp, f"{e164}:{code}")


async def request_code(
    session: AsyncSession,
    settings: Settings,
    keys: Keys,
    sender: SmsSender,
    e164: str,
    client_ip: str | None = None,
) -> None:
    """Send a login code. Same answer whether or not the number has an account, and whether
    or not its calling region is allowed (then nothing is sent: see `sms_caps`).

    The number's lock makes the resend and daily checks and the new code one step, so
    requests at once in several processes cannot all pass the checks.
    """
    digest = phone_hash(keys, e164)
    await locks.xact_lock(session, f"otp-request:{digest}")
    now = clock.now()
    latest = await repository.latest_code(session, digest)
    if latest is not None:
        wait = settings.otp_resend_seconds - (now - latest.created_at).total_seconds()
        if wait > 0:
            raise TooMany("a code was sent moments ago; wait before asking again", int(wait) + 1)
    day_ago = now - timedelta(days=1)
    if await repository.codes_since(session, digest, day_ago) >= settings.otp_daily_limit:
        oldest = await repository.oldest_code_since(session, digest, day_ago)
        retry = int(((oldest or now) + timedelta(days=1) - now).total_seconds()) + 1
        raise TooMany("too many codes for this number today", retry)
    region = sms_caps.calling_region(e164)
    deliver = await sms_caps.count_send(session, settings, keys, client_ip, region, now)
    code = random_code()
    session.add(
        OtpCode(
            phone_hash=digest,
            code_hmac=_code_hmac(keys, e164, code),
            created_at=now,
            expires_at=now + timedelta(seconds=settings.otp_ttl_seconds),
        )
    )
    if not deliver:
        log.info("sms.region_refused", to=mask(e164), region=region)
        return
    minutes = settings.otp_ttl_seconds // 60
    await sender.send(
        session, e164, f"[Rostra] Your login code is {code}. It expires in {minutes} minutes.", code
    )


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    expires_in: int
    refresh_token: str
    family_id: uuid.UUID


class InvalidCode(Unauthorized):
    type, title = "invalid-code", "The code is wrong, expired or used up"


async def verify_code(
    session: AsyncSession, settings: Settings, keys: Keys, e164: str, code: str
) -> bool:
    """Checks the latest code; counts the try. Returns False for any kind of failure.

    Wrong passwords use up the same tries (app/accounts/lockout.py). The try is counted and
    the code used up by conditional writes, not by reading and writing back a number, so
    tries spread over several processes are counted once each.
    """
    digest = phone_hash(keys, e164)
    await locks.xact_lock(session, sign_in_lock(digest))  # the shared budget, one try at a time
    now = clock.now()
    otp = await repository.latest_code(session, digest)
    if otp is None or otp.consumed_at is not None or otp.expires_at <= now:
        return False
    if await lockout.retry_after(session, settings, digest) is not None:
        return False
    if not await repository.count_code_try(session, otp.id, settings.otp_max_attempts, now):
        return False  # no tries left (or used up or expired a moment ago)
    if not hmac.compare_digest(otp.code_hmac, _code_hmac(keys, e164, code)):
        lockout.count_failure(session, digest, via="code")
        return False
    if not await repository.consume_code(session, otp.id, now):
        return False
    await lockout.forget_failures(session, digest)
    return True


async def issue_tokens(
    session: AsyncSession,
    settings: Settings,
    keys: Keys,
    account: Account,
    family_id: uuid.UUID | None = None,
) -> TokenPair:
    now = clock.now()
    await set_account(session, account.id)  # row-level security: a person's own tokens
    family_id = family_id or uuid.uuid4()
    access, expires_in = keys.signer.issue(
        str(account.id), now, staff=account.is_staff, sid=str(family_id)
    )
    refresh = random_token()
    session.add(
        RefreshToken(
            account_id=account.id,
            family_id=family_id,
            token_hash=sha256_hex(refresh),
            created_at=now,
            expires_at=now + timedelta(days=settings.refresh_token_days),
        )
    )
    return TokenPair(
        access_token=access, expires_in=expires_in, refresh_token=refresh, family_id=family_id
    )


async def rotate_refresh(
    session: AsyncSession, settings: Settings, keys: Keys, refresh_token: str
) -> TokenPair | None:
    """A new pair for a valid refresh token; None (and the family revoked) on reuse."""
    now = clock.now()
    stored = await repository.refresh_token_by_hash(session, sha256_hex(refresh_token))
    if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
        return None
    if stored.used_at is not None:
        # Reuse of a rotated token: someone else may hold the family; end it for everyone.
        await repository.revoke_family(session, stored.account_id, stored.family_id, now)
        return None
    account = await repository.account_by_id(session, stored.account_id)
    if account is None or account.status != "active":
        return None
    if not await repository.claim_refresh_token(session, stored.id, now):
        # Another request redeemed it a moment ago: that is reuse too.
        await repository.revoke_family(session, stored.account_id, stored.family_id, now)
        return None
    return await issue_tokens(session, settings, keys, account, stored.family_id)


async def revoke(session: AsyncSession, refresh_token: str) -> None:
    stored = await repository.refresh_token_by_hash(session, sha256_hex(refresh_token))
    if stored is not None:
        await repository.revoke_family(session, stored.account_id, stored.family_id, clock.now())
