"""The one decision: who (a member, or staff through a grant) may do what, why -> Access.

Pure: the policy's answer, the school's options and the staff account's live grants are
all the input (the `Authorize` dependency reads the grants); no database, no HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.authz.access import Access
from app.authz.models import SupportGrant
from app.core.errors import DomainError, Forbidden, NotFound
from app.core.policy import get_policy
from app.core.vocabulary import Action, ActorKind, Purpose, RecordKind, Scope
from app.tenancy.deps import Member

# Platform staff read (list, read) through a support grant, never write (AUZ-8).
STAFF_ACTIONS = frozenset({Action.READ, Action.LIST})
WHOLE_SCHOOL = frozenset({Scope.TENANT})


class PurposeRefused(DomainError):
    status, type, title = 403, "purpose-refused", "The purpose does not cover this record kind"


def decide(
    member: Member,
    kind: RecordKind,
    action: Action,
    purpose: Purpose,
    *,
    asked: str | None = None,
    within: frozenset[Scope] | None = None,
    grants: Iterable[SupportGrant] = (),
    request_id: str | None = None,
) -> Access:
    """The caller's access to `kind` records for `action`, or the refusal it raises.

    `purpose` is the route's; `asked` the caller's `?purpose=` (it replaces the route's for
    a member and must match the grant's for staff). `within` keeps only those scopes (e.g.
    `WHOLE_SCHOOL`: the school's admins alone). Not a member: 404, unless a live support
    grant of `grants` covers the read.
    """
    if not member.roles:
        granted = _through_grant(member, kind, action, asked, grants, request_id)
        if granted is None:
            # Not a member: the school is answered exactly like one that does not exist.
            raise NotFound("no such school")
        return granted
    policy = get_policy()
    scopes = policy.allowed_scopes(member.roles, kind, action, member.options)
    if within is not None:
        scopes = scopes & within
    if not scopes:
        raise Forbidden(f"your role may not {action} {kind} records")
    chosen = asked or purpose
    if not policy.purpose_covers(chosen, kind):
        raise PurposeRefused(f"purpose '{chosen}' does not cover {kind} records", field="purpose")
    return Access(
        tenant=member.tenant,
        account=member.account,
        roles=member.roles,
        record_kind=kind,
        action=action,
        scopes=scopes,
        purpose=chosen,
        request_id=request_id,
    )


def _through_grant(
    member: Member,
    kind: RecordKind,
    action: Action,
    asked: str | None,
    grants: Iterable[SupportGrant],
    request_id: str | None,
) -> Access | None:
    """A staff account's access through a live grant of the school, or None (AUZ-8).

    Staff read (list, read) within the grant's record kinds only, under the grant's purpose.
    """
    if not member.account.is_staff or action not in STAFF_ACTIONS:
        return None
    policy = get_policy()
    for grant in grants:
        if kind not in grant.record_kinds or not policy.purpose_covers(grant.purpose, kind):
            continue
        if asked is not None and asked != grant.purpose:
            continue
        return Access(
            tenant=member.tenant,
            account=member.account,
            roles=frozenset(),
            record_kind=kind,
            action=action,
            scopes=WHOLE_SCHOOL,
            purpose=grant.purpose,
            actor_kind=ActorKind.PLATFORM_STAFF,
            grant_id=grant.id,
            request_id=request_id,
        )
    return None
