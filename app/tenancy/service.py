"""`rostra tenants apply`: make the database match the tenant files, showing the plan first."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.service import get_or_create_account
from app.core import clock
from app.core.db import set_tenant
from app.core.security import Keys
from app.core.vocabulary import Role
from app.tenancy import repository
from app.tenancy.models import Membership, MembershipStatus, Tenant
from app.tenancy.tenantfile import TenantFileError, TenantSpec, load_tenant_dir

TENANT_FILE_SOURCE = "tenant-file"


@dataclass
class TenantPlan:
    slug: str
    create: bool = False
    changes: list[str] = field(default_factory=list)
    admins_added: list[str] = field(default_factory=list)
    admins_removed: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.create or self.changes or self.admins_added or self.admins_removed)

    def lines(self) -> list[str]:
        if self.empty:
            return [f"  {self.slug}: unchanged"]
        out = [f"+ {self.slug}: create school" if self.create else f"~ {self.slug}: update"]
        out += [f"    {c}" for c in self.changes]
        out += [f"    + school_admin {a}" for a in self.admins_added]
        out += [f"    - school_admin {a} (deactivated)" for a in self.admins_removed]
        return out


def _validate_options(spec: TenantSpec, path: Path) -> None:
    from app.core.policy import get_policy

    known = set(get_policy().option_names())
    for name in spec.options:
        if name not in known:
            raise TenantFileError(
                path, f"options.{name}", f"unknown option; known: {sorted(known)}"
            )


def _validate_retention(spec: TenantSpec, path: Path) -> None:
    """A school may only shorten a period of `policies/retention.toml` (RET-7)."""
    from app.core.retention import check_school_retention, get_retention

    key, reason = check_school_retention(spec.retention, get_retention())
    if key:
        raise TenantFileError(path, key, reason)


async def apply_tenants(
    session: AsyncSession, keys: Keys, directory: Path, *, dry_run: bool
) -> list[TenantPlan]:
    """Plans (and unless dry_run, applies) every file; a bad file raises before any write."""
    specs = load_tenant_dir(directory)
    for spec, _ in specs:
        _validate_options(spec, directory / f"{spec.slug}.toml")
        _validate_retention(spec, directory / f"{spec.slug}.toml")
    plans = []
    for spec, digest in specs:
        plans.append(await _apply_one(session, keys, spec, digest, dry_run=dry_run))
    return plans


async def _apply_one(
    session: AsyncSession, keys: Keys, spec: TenantSpec, digest: str, *, dry_run: bool
) -> TenantPlan:
    """One file: resolve the school and its file admins, plan the difference, then write."""
    tenant, plan = await _resolve_school(session, spec)
    existing: dict[str, Membership] = {}
    if not plan.create:
        await set_tenant(session, tenant.id)
        rows = await repository.admins_from_source(session, tenant.id, TENANT_FILE_SOURCE)
        existing = {str(m.account_id): m for m in rows}
    wanted_accounts = await _plan_admins(session, keys, spec, existing, plan)
    if dry_run or plan.empty:
        return plan
    await _write_school(session, spec, digest, tenant, plan)
    await _write_admins(session, keys, spec, tenant, existing, wanted_accounts)
    return plan


async def _resolve_school(session: AsyncSession, spec: TenantSpec) -> tuple[Tenant, TenantPlan]:
    """The school (new or stored) with the file's values set, and the changes they make."""
    plan = TenantPlan(slug=spec.slug)
    tenant = await repository.tenant_by_slug(session, spec.slug)
    if tenant is None:
        plan.create = True
        tenant = Tenant(slug=spec.slug, name=spec.name, region=spec.region)
    wanted = {
        "name": spec.name,
        "region": spec.region,
        "notice_version": spec.notice_version,
        "options": dict(sorted(spec.options.items())),
        "retention": dict(sorted(spec.retention.items())),
        "time_zone": spec.time_zone,
        "late_after_minutes": spec.late_after_minutes,
        "oidc": spec.oidc.model_dump() if spec.oidc else None,
        "offboarding_notice_days": spec.offboarding_notice_days,
        "ingest_events_per_minute": spec.limits.ingest_events_per_minute,
    }
    for attr, value in wanted.items():
        if plan.create or getattr(tenant, attr) != value:
            if not plan.create:
                plan.changes.append(f"{attr}: {getattr(tenant, attr)!r} -> {value!r}")
            setattr(tenant, attr, value)
    return tenant, plan


async def _plan_admins(
    session: AsyncSession,
    keys: Keys,
    spec: TenantSpec,
    existing: dict[str, Membership],
    plan: TenantPlan,
) -> set[str]:
    """Note the admins the file adds and removes; the accounts it names that exist."""
    from app.accounts.service import find_account

    wanted_accounts: set[str] = set()
    for admin in spec.admins:
        account = await find_account(session, keys, admin.phone)
        key = str(account.id) if account else None
        if key is not None:
            wanted_accounts.add(key)
        live = key in existing and existing[key].status != MembershipStatus.inactive
        if not live:
            plan.admins_added.append(admin.phone[:-4] + "****")
    for key, membership in existing.items():
        if key not in wanted_accounts and membership.status != MembershipStatus.inactive:
            plan.admins_removed.append(key)
    return wanted_accounts


async def _write_school(
    session: AsyncSession, spec: TenantSpec, digest: str, tenant: Tenant, plan: TenantPlan
) -> None:
    tenant.updated_at = clock.now()
    tenant.source_file_hash = digest
    session.add(tenant)
    await session.flush()
    await set_tenant(session, tenant.id)


async def _write_admins(
    session: AsyncSession,
    keys: Keys,
    spec: TenantSpec,
    tenant: Tenant,
    existing: dict[str, Membership],
    wanted_accounts: set[str],
) -> None:
    """Add or reactivate the file's admins; deactivate those it no longer names."""
    for admin in spec.admins:
        account, _ = await get_or_create_account(session, keys, admin.phone, admin.name, "school")
        current = existing.get(str(account.id))
        if current is None:
            session.add(
                Membership(
                    tenant_id=tenant.id,
                    account_id=account.id,
                    role=Role.SCHOOL_ADMIN,
                    status=MembershipStatus.active,
                    display_name=admin.name,
                    source_id=TENANT_FILE_SOURCE,
                )
            )
        elif current.status == MembershipStatus.inactive:
            current.status = MembershipStatus.active
            current.status_reason = None
    for key, membership in existing.items():
        if key not in wanted_accounts and membership.status != MembershipStatus.inactive:
            membership.status = MembershipStatus.inactive
            membership.status_reason = "removed from the tenant file"
    await session.flush()
