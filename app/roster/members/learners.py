"""Learners without a phone of their own (#14): registered under a guardian's number, a
person of their own (own id, name, records, consents) whose guardian signs in and acts for
them (`children` scope); when the learner gets a phone the school adds it and the learner
signs in themself, on the same account, so nothing of their record moves. The guardian
may add it too (`POST /v1/me/children/{member_id}/phone`), proving the number with the SMS
code `POST /v1/auth/otp` sent to it."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as accounts_repository
from app.accounts.models import Account
from app.accounts.service import (
    find_account,
    give_phone,
    has_phone,
    new_learner_without_phone,
    verify_code,
)
from app.core.config import Settings
from app.core.db import set_account, set_tenant
from app.core.errors import Conflict, Invalid, NotFound
from app.core.ids import parse_id
from app.core.security import Keys
from app.core.vocabulary import Role
from app.roster.members import repository
from app.roster.members.service import (
    Registered,
    attestation,
    ensure_guardian,
    refuse_unusable,
    require_published_notice,
)
from app.roster.schemas import Consent
from app.tenancy.models import Membership, MembershipStatus, Tenant
from app.tenancy.repository import memberships_of_account

# A guardian registered by the school acts for their children before confirming.
ACTING = (MembershipStatus.pending, MembershipStatus.active)


async def register_under_guardian(
    session: AsyncSession,
    keys: Keys,
    tenant: Tenant,
    actor_id: uuid.UUID | None,
    *,
    display_name: str | None,
    age_band: str | None,
    guardian_e164: str,
    consent: Consent,
) -> Registered:
    """A student without a phone, under their guardian's number. Idempotent: the guardian's
    child of the same name without a phone is the same learner (200, nothing changes)."""
    if not display_name:
        raise Invalid("display_name", "a learner without a phone is known by name: required")
    await require_published_notice(session, tenant, consent)
    guardian = await find_account(session, keys, guardian_e164)
    if guardian is not None:
        for child in await repository.children_of(session, tenant.id, guardian.id):
            if not has_phone(child) and child.display_name == display_name:
                held = await repository.membership_of(session, tenant.id, child.id, Role.STUDENT)
                if held is not None:
                    refuse_unusable(held, "display_name")
                    return Registered(held, child, created=False)
    learner = new_learner_without_phone(display_name)
    await accounts_repository.add_account(session, learner)
    guardian = await ensure_guardian(
        session, keys, tenant, actor_id, guardian_e164, learner, consent
    )
    membership = Membership(
        tenant_id=tenant.id,
        account_id=learner.id,
        role=Role.STUDENT,
        status=MembershipStatus.pending,
        age_band=age_band,
        display_name=display_name,
        registered_by=actor_id,
    )
    session.add(membership)
    await session.flush()
    guardian_id = guardian.id if consent.given_by == "guardian" else None
    session.add(attestation(tenant.id, membership, consent, actor_id, guardian_id))
    await session.flush()
    return Registered(membership, learner, created=True)


async def add_own_phone(session: AsyncSession, keys: Keys, account: Account, e164: str) -> bool:
    """The learner's own number: they sign in with it from now on. False when it is already
    theirs; 409 when they have another, or the number is someone else's account."""
    if has_phone(account):
        current = await find_account(session, keys, e164)
        if current is not None and current.id == account.id:
            return False
        raise Conflict("phone: this person has a phone number of their own already", field="phone")
    if await find_account(session, keys, e164) is not None:
        raise Conflict("phone: this number is another person's account", field="phone")
    give_phone(keys, account, e164)
    return True


async def my_child(
    session: AsyncSession, guardian: Account, member_id: str
) -> tuple[Membership, Account, Tenant]:
    """A student's roster entry in a school where the caller is their guardian, that school
    set; 404 for anyone else's, another school's or a missing one."""
    wanted = parse_id(member_id)
    if wanted is None:
        raise NotFound("no such child")
    await set_account(session, guardian.id)
    schools = {
        t.id: t
        for m, t in await memberships_of_account(session, guardian.id)
        if m.role == Role.GUARDIAN and m.status in ACTING
    }
    for tenant in schools.values():
        await set_tenant(session, tenant.id)
        child = await repository.member_by_id(session, tenant.id, wanted, Role.STUDENT)
        if child is None or child.status not in ACTING:
            continue
        if await repository.guardianship(session, tenant.id, guardian.id, child.account_id):
            account = await accounts_repository.account_by_id(session, child.account_id)
            if account is not None:
                return child, account, tenant
    raise NotFound("no such child")


class WrongCode(Invalid):
    """The code sent to the new number is wrong, expired or used up (the try is counted)."""

    type, title = "invalid-code", "The code is wrong, expired or used up"


async def add_child_phone(
    session: AsyncSession, settings: Settings, keys: Keys, child: Account, e164: str, code: str
) -> bool:
    """The guardian gives their child's account the child's own number, proven by the code
    sent to it: the child signs in with it from now on. False when it is theirs already
    (a retry needs no new code); 409 as for the school; WrongCode for a bad code."""
    if has_phone(child) or await find_account(session, keys, e164) is not None:
        return await add_own_phone(session, keys, child, e164)
    if not await verify_code(session, settings, keys, e164, code):
        raise WrongCode("code", "the code sent to this number is wrong, expired or used up")
    give_phone(keys, child, e164)
    return True
