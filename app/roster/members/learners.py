"""Learners without a phone of their own (#14): registered under a guardian's number, a
person of their own (own id, name, records, consents) whose guardian signs in and acts for
them (`children` scope); when the learner gets a phone the school adds it and the learner
signs in themself, on the same account, so nothing of their record moves."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as accounts_repository
from app.accounts.models import Account
from app.accounts.service import find_account, give_phone, has_phone, new_learner_without_phone
from app.core.errors import Conflict, Invalid
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
