"""Sign-in with a school's OpenID Connect provider, and the identities it links. No HTTP here.

A trip to the provider is one `OidcAttempt`: its state is random, its PKCE verifier and
nonce are derived from the state with a server key, and only hashes are stored. The
callback links the provider's subject to the account with the phone number the provider
asserts as verified, when that is safe (no account yet, or a confirmed member of this
school); otherwise the person confirms the number with an SMS code (`confirm_link`).
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as accounts_repository
from app.accounts import service as accounts
from app.accounts import sessions
from app.accounts.models import Account
from app.core import clock
from app.core.config import Settings
from app.core.errors import NotFound, Unauthorized
from app.core.pagination import PageParams, paginate
from app.core.phones import InvalidPhone, mask, normalize
from app.core.security import Keys, keyed_hash, random_token, sha256_hex
from app.identity import provider as oidc
from app.identity import repository
from app.identity.id_token import validate_id_token
from app.identity.models import ExternalIdentity, OidcAttempt
from app.tenancy.models import Tenant

PROVIDER = "provider"  # Account.registered_via of an account begun at a provider


class InvalidState(Unauthorized):
    type, title = "invalid-state", "This sign-in was not started here, expired or was used"


class InvalidLink(Unauthorized):
    type, title = "invalid-link", "The pending link is unknown, expired or was used"


@dataclass(frozen=True)
class PendingLink:
    """The provider asserted no verified phone Rostra may trust: confirm one by SMS code."""

    link_token: str
    expires_in: int
    phone_hint: str | None  # the masked number the provider named, if any


def _derived(keys: Keys, purpose: str, state: str) -> str:
    return keyed_hash(keys.oidc, f"{purpose}:{state}")


def lookup_hash(school_id: uuid.UUID, issuer: str, subject: str) -> str:
    return sha256_hex(f"{school_id}\n{issuer}\n{subject}")


async def begin(
    session: AsyncSession, settings: Settings, keys: Keys, school: Tenant, redirect_uri: str
) -> str:
    """Where to send the browser: the provider's authorization endpoint for a new attempt."""
    provider = oidc.provider_of(school)
    doc = await oidc.discover(settings, provider)
    now = clock.now()
    state = random_token()
    nonce = _derived(keys, "nonce", state)
    attempt = OidcAttempt(
        school_id=school.id,
        state_hash=sha256_hex(state),
        nonce_hash=sha256_hex(nonce),
        created_at=now,
        expires_at=now + timedelta(seconds=settings.oidc_attempt_seconds),
    )
    await repository.add_attempt(session, attempt)
    return await oidc.authorization_url(
        settings,
        provider,
        doc,
        redirect_uri,
        state=state,
        code_verifier=_derived(keys, "pkce", state),
        nonce=nonce,
    )


async def _claim_state(session: AsyncSession, school: Tenant, state: str) -> OidcAttempt:
    now = clock.now()
    attempt = await repository.attempt_by_state(session, school.id, sha256_hex(state))
    if attempt is None or attempt.used_at is not None or attempt.expires_at <= now:
        raise InvalidState("this sign-in was not started here, has expired or was used")
    if not await repository.claim_attempt(session, attempt.id, now):
        raise InvalidState("this sign-in was used a moment ago")
    return attempt


async def _verified_claims(
    settings: Settings,
    keys: Keys,
    provider: oidc.Provider,
    attempt: OidcAttempt,
    state: str,
    code: str,
    redirect_uri: str,
) -> dict[str, Any]:
    doc = await oidc.discover(settings, provider)
    token = await oidc.exchange_code(
        settings,
        provider,
        doc,
        redirect_uri,
        code=code,
        code_verifier=_derived(keys, "pkce", state),
    )
    nonce = _derived(keys, "nonce", state)
    if not hmac.compare_digest(sha256_hex(nonce), attempt.nonce_hash):
        raise InvalidState("this sign-in's nonce does not match")
    access_token = token.get("access_token")
    claims = validate_id_token(
        token["id_token"],
        await oidc.signing_keys(settings, doc),
        provider,
        nonce=nonce,
        access_token=access_token,
        now=clock.now(),
    )
    if provider.phone_claim not in claims and isinstance(access_token, str):
        # Many providers give the phone only at their userinfo endpoint.
        claims.update(await oidc.phone_from_userinfo(settings, provider, doc, access_token, claims))
    return claims


def _asserted_phone(
    settings: Settings, provider: oidc.Provider, claims: dict[str, Any]
) -> str | None:
    value = claims.get(provider.phone_claim)
    if not isinstance(value, str):
        return None
    try:
        return normalize(value, settings.default_region)
    except InvalidPhone:
        return None


async def callback(
    session: AsyncSession,
    settings: Settings,
    keys: Keys,
    school: Tenant,
    *,
    state: str,
    code: str,
    redirect_uri: str,
    device: sessions.Device,
) -> accounts.TokenPair | PendingLink:
    """Tokens for a linked or safely linkable identity; otherwise a link to confirm by code."""
    attempt = await _claim_state(session, school, state)
    provider = oidc.provider_of(school)
    claims = await _verified_claims(settings, keys, provider, attempt, state, code, redirect_uri)
    subject = str(claims["sub"])
    identity = await repository.identity_by_lookup(
        session, lookup_hash(school.id, provider.issuer, subject)
    )
    if identity is not None:
        account = await accounts_repository.account_by_id(session, identity.account_id)
        return await _sign_in(session, settings, keys, account, identity, device)
    e164 = _asserted_phone(settings, provider, claims)
    if e164 is not None and claims.get("phone_number_verified") is True:
        account = await accounts.find_account(session, keys, e164)
        if account is None or await repository.confirmed_member(session, school.id, account.id):
            _refuse_if_barred(account)  # before linking: a refused sign-in links nothing
            identity, account = await _link(
                session, keys, school, provider.issuer, subject, e164, "verified_phone"
            )
            return await _sign_in(session, settings, keys, account, identity, device)
    return _pending(settings, attempt, provider.issuer, subject, e164)


def _refuse_if_barred(account: Account | None) -> None:
    """No account yet is fine (it is created); a closed or reported one may not sign in so."""
    if account is None:
        return
    if account.status != "active":
        raise Unauthorized("this account cannot sign in")
    if account.code_required:
        raise Unauthorized("this account was reported compromised: sign in with an SMS code")


def _pending(
    settings: Settings, attempt: OidcAttempt, issuer: str, subject: str, e164: str | None
) -> PendingLink:
    token = random_token()
    attempt.issuer, attempt.subject = issuer, subject
    attempt.link_hash = sha256_hex(token)
    attempt.link_expires_at = clock.now() + timedelta(seconds=settings.oidc_link_seconds)
    return PendingLink(
        link_token=token,
        expires_in=settings.oidc_link_seconds,
        phone_hint=mask(e164) if e164 else None,
    )


async def _link(
    session: AsyncSession,
    keys: Keys,
    school: Tenant,
    issuer: str,
    subject: str,
    e164: str,
    linked_by: str,
) -> tuple[ExternalIdentity, Account]:
    account, created = await accounts.get_or_create_account(
        session, keys, e164, registered_via=PROVIDER
    )
    identity = ExternalIdentity(
        account_id=account.id,
        school_id=school.id,
        issuer=issuer,
        subject=subject,
        lookup_hash=lookup_hash(school.id, issuer, subject),
        linked_by=linked_by,
        created_account=created,
    )
    session.add(identity)
    await session.flush()
    return identity, account


async def _sign_in(
    session: AsyncSession,
    settings: Settings,
    keys: Keys,
    account: Account | None,
    identity: ExternalIdentity,
    device: sessions.Device,
) -> accounts.TokenPair:
    if account is None:
        raise Unauthorized("this account cannot sign in")
    _refuse_if_barred(account)
    identity.last_used_at = clock.now()
    return await sessions.sign_in(session, settings, keys, account, device, via="oidc")


async def confirm_link(
    session: AsyncSession,
    settings: Settings,
    keys: Keys,
    school: Tenant,
    *,
    link_token: str,
    e164: str,
    code: str,
    device: sessions.Device,
) -> accounts.TokenPair:
    """The person proved the number with an SMS code: link the identity to it, sign in."""
    now = clock.now()
    attempt = await repository.attempt_by_link(session, school.id, sha256_hex(link_token))
    if (
        attempt is None
        or attempt.linked_at is not None
        or attempt.link_expires_at is None
        or attempt.link_expires_at <= now
        or attempt.issuer is None
        or attempt.subject is None
    ):
        raise InvalidLink("the pending link is unknown, expired or was used")
    if not await accounts.verify_code(session, settings, keys, e164, code):
        raise accounts.InvalidCode("the code is wrong, expired or used up")
    if not await repository.claim_link(session, attempt.id, now):
        raise InvalidLink("the pending link was used a moment ago")
    lookup = lookup_hash(school.id, attempt.issuer, attempt.subject)
    identity = await repository.identity_by_lookup(session, lookup)
    if identity is None:
        _refuse_if_barred(await accounts.find_account(session, keys, e164))
        identity, _ = await _link(
            session, keys, school, attempt.issuer, attempt.subject, e164, "sms_code"
        )
    account = await accounts_repository.account_by_id(session, identity.account_id)
    return await _sign_in(session, settings, keys, account, identity, device)


@dataclass(frozen=True)
class LinkedIdentities:
    items: list[tuple[ExternalIdentity, Tenant]]
    next_cursor: str | None
    created_by_provider: bool  # RGT-17: closing Rostra's account leaves the provider's open


async def identities(session: AsyncSession, account: Account, page: PageParams) -> LinkedIdentities:
    rows = await repository.identities_of(session, account.id, page.after_time_id(), page.fetch)
    items, cursor = paginate(rows, page.limit, lambda r: [r[0].linked_at.isoformat(), r[0].id])
    begun_there = account.registered_via == PROVIDER or any(i.created_account for i, _ in items)
    return LinkedIdentities(items=items, next_cursor=cursor, created_by_provider=begun_there)


async def unlink(session: AsyncSession, account: Account, identity_id: uuid.UUID) -> None:
    """Withdraws the authorisation (ACC-8): the provider no longer signs this person in."""
    found = await repository.identity_of_account(session, account.id, identity_id)
    if found is None:
        raise NotFound("no such linked identity")
    await session.delete(found)
    await session.flush()
