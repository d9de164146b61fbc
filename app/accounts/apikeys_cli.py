"""`rostra apikeys create SLUG NAME`: an ingestion key for a school, printed once."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from app.core.config import get_settings

apikeys_app = typer.Typer(help="Ingestion API keys of a school.", no_args_is_help=True)


@apikeys_app.command("create")
def create(
    slug: Annotated[str, typer.Argument(help="the school")],
    name: Annotated[str, typer.Argument(help="what the key is for, e.g. classroom-prod")],
) -> None:
    """Create a key; it is shown here once and stored only as a hash."""
    key = asyncio.run(_create(slug, name))
    if key is None:
        typer.echo(f"error: no school {slug!r} (run `rostra tenants apply` first)", err=True)
        raise typer.Exit(2)
    typer.echo(key)


async def _create(slug: str, name: str) -> str | None:
    from app.accounts.apikeys import create_key
    from app.authz.audit import record
    from app.core.context import ServiceContext
    from app.core.db import set_tenant
    from app.tenancy.repository import tenant_by_slug

    settings = get_settings()
    ctx = ServiceContext.build(
        settings.model_copy(update={"database_url": settings.owner_database_url})
    )
    try:
        async with ctx.db.session() as session:
            tenant = await tenant_by_slug(session, slug)
            if tenant is None:
                return None
            await set_tenant(session, tenant.id)
            key, plaintext = await create_key(session, tenant.id, name[:100], None)
            await record(
                session,
                tenant_id=tenant.id,
                actor_id=None,
                actor_kind="system",
                record_kind="api_key",
                action="create",
                purpose="security",
                detail={"api_key_id": str(key.id), "name": key.name, "via": "cli"},
            )
            return plaintext
    finally:
        await ctx.db.dispose()
