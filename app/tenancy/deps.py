"""The school named in the path, and who the caller is in it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request

from app.accounts.deps import TokenAccountId, signed_in
from app.accounts.models import Account
from app.core.db import set_tenant
from app.core.deps import SessionDep
from app.core.errors import NotFound
from app.core.policy import get_policy
from app.tenancy import repository
from app.tenancy.models import Tenant


@dataclass(frozen=True)
class Member:
    """The caller inside one school: the account and the roles it holds there now."""

    tenant: Tenant
    account: Account
    roles: frozenset[str]

    @property
    def options(self) -> frozenset[str]:
        """The school's options that are on: its file's choice, else the option's default."""
        policy = get_policy()
        chosen, defaults = self.tenant.options, policy.default_options()
        return frozenset(
            name for name in policy.option_names() if bool(chosen.get(name, name in defaults))
        )


async def tenant_from_path(
    session: SessionDep, slug: Annotated[str, Path(max_length=64)]
) -> Tenant:
    tenant = await repository.tenant_by_slug(session, slug)
    if tenant is None:
        raise NotFound("no such school")
    await set_tenant(session, tenant.id)
    return tenant


TenantDep = Annotated[Tenant, Depends(tenant_from_path)]


async def member_of_tenant(
    request: Request, session: SessionDep, account_id: TokenAccountId, tenant: TenantDep
) -> Member:
    """The caller and their roles here, read together: one query on every school request.

    The token is resolved before the school, so without one every slug answers 401 alike.
    """
    account, roles = await repository.account_and_roles(session, tenant.id, account_id)
    return Member(tenant=tenant, account=signed_in(request, account), roles=roles)


MemberDep = Annotated[Member, Depends(member_of_tenant)]
