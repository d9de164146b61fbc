"""Versioned notices and their acceptance (GEN-1/2, PRX-7, POL-3, POL-6, MIN-1/4).

A person sees the current version of the platform's notice and of each school's; a version
that reduces rights applies to them only once they accept it, until then the last version
they accepted does. For a child under 14 only the guardian accepts.
"""

from __future__ import annotations

import tomllib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.audit import record
from app.core import clock
from app.core.config import ROOT
from app.core.db import set_tenant
from app.core.errors import Forbidden, NotFound
from app.core.ids import parse_id
from app.core.vocabulary import Action, Purpose, RecordKind
from app.privacy import repository
from app.privacy.models import Notice, NoticeAcceptance, PlatformNotice
from app.privacy.subjects import Subject
from app.tenancy.models import Tenant

PLATFORM_NOTICES = ROOT / "policies" / "notices.toml"
CHINA = ZoneInfo("Asia/Shanghai")
AnyNotice = Notice | PlatformNotice


def today() -> date:
    return clock.now().astimezone(CHINA).date()


@dataclass(frozen=True)
class NoticeState:
    notice: AnyNotice
    school: Tenant | None
    current: bool
    applies: bool
    acceptance: NoticeAcceptance | None

    @property
    def pending(self) -> bool:
        return self.current and self.acceptance is None


# --- publishing ------------------------------------------------------------------------


async def publish_school_notice(
    session: AsyncSession,
    tenant: Tenant,
    version: str,
    *,
    title: str = "Privacy notice",
    summary: str = "",
    effective_on: date | None = None,
    reduces_rights: bool = False,
) -> tuple[Notice, bool]:
    """Publishes a version once; a retry (same version) returns the published one unchanged."""
    await set_tenant(session, tenant.id)
    existing = await repository.school_notice(session, tenant.id, version)
    if existing is not None:
        return existing, False
    notice = Notice(
        tenant_id=tenant.id,
        version=version,
        title=title,
        summary=summary,
        effective_on=effective_on or today(),
        reduces_rights=reduces_rights,
    )
    session.add(notice)
    await session.flush()
    return notice, True


async def publish_platform_notices(session: AsyncSession, path: Path = PLATFORM_NOTICES) -> int:
    with path.open("rb") as handle:
        declared = tomllib.load(handle).get("notice", [])
    added = 0
    for entry in declared:
        version = str(entry["version"])
        if await repository.platform_notice(session, version) is not None:
            continue
        session.add(
            PlatformNotice(
                version=version,
                title=str(entry["title"]),
                summary=str(entry.get("summary", "")),
                effective_on=date.fromisoformat(str(entry["effective_on"])),
                reduces_rights=bool(entry.get("reduces_rights", False)),
            )
        )
        added += 1
    await session.flush()
    return added


async def publish_declared_notices(session: AsyncSession, tenants: Iterable[Tenant]) -> None:
    """What the tenant files and policies/notices.toml declare, published if new."""
    await publish_platform_notices(session)
    for tenant in tenants:
        await publish_school_notice(session, tenant, tenant.notice_version)


# --- reading ---------------------------------------------------------------------------


def _states(
    versions: Sequence[AnyNotice],
    school: Tenant | None,
    accepted: dict[uuid.UUID, NoticeAcceptance],
    on: date,
) -> list[NoticeState]:
    """Every version of one notice; the current one is the newest already in effect."""
    in_effect = [n for n in versions if n.effective_on is None or n.effective_on <= on]
    current = in_effect[-1] if in_effect else None
    applying = current
    if current is not None and current.reduces_rights and current.id not in accepted:
        # POL-3: a reduction waits for consent; the newest version they accepted applies.
        applying = next((n for n in reversed(in_effect) if n.id in accepted), None)
    return [
        NoticeState(n, school, n is current, n is applying, accepted.get(n.id)) for n in versions
    ]


async def notices_for(session: AsyncSession, subject: Subject) -> list[NoticeState]:
    accepted = await repository.acceptances(session, subject.account.id)
    on = today()
    states = _states(await repository.platform_notices(session), None, accepted, on)
    for tenant in subject.tenants():
        await set_tenant(session, tenant.id)
        states += _states(await repository.school_notices(session, tenant.id), tenant, accepted, on)
    # Pending first (the portal asks before anything else), then newest first.
    return sorted(states, key=lambda s: (not s.pending, -_stamp(s.notice.published_at)))


def _stamp(at: datetime) -> float:
    return at.timestamp()


async def accept(
    session: AsyncSession, subject: Subject, notice_id: str, request_id: str | None
) -> NoticeState:
    wanted = parse_id(notice_id)
    state = next((s for s in await notices_for(session, subject) if s.notice.id == wanted), None)
    if state is None:
        raise NotFound("no such notice")
    if subject.under14 and not subject.by_guardian:
        raise Forbidden("a guardian accepts the notice for a child under 14 (MIN-1)")
    if state.acceptance is not None:
        return state
    acceptance = NoticeAcceptance(
        account_id=subject.account.id,
        notice_id=state.notice.id,
        school_id=state.school.id if state.school else None,
        version=state.notice.version,
        accepted_by=subject.actor.id,
        accepted_at=clock.now(),
    )
    session.add(acceptance)
    await session.flush()
    for tenant in [state.school] if state.school else subject.tenants():
        await set_tenant(session, tenant.id)
        await record(
            session,
            tenant_id=tenant.id,
            actor_id=subject.actor.id,
            actor_kind="member",
            record_kind=RecordKind.NOTICE,
            action=Action.UPDATE,
            purpose=Purpose.ACCOUNT,
            subjects=[subject.account.id],
            request_id=request_id,
            detail={
                "accepted": state.notice.version,
                "scope": "school" if state.school else "platform",
            },
        )
    refreshed = await notices_for(session, subject)
    return next(s for s in refreshed if s.notice.id == wanted)


async def school_versions(session: AsyncSession, tenant: Tenant) -> list[NoticeState]:
    """A school's versions as its admins see them (no one's acceptance), newest first."""
    await set_tenant(session, tenant.id)
    versions = await repository.school_notices(session, tenant.id)
    return list(reversed(_states(versions, tenant, {}, today())))
