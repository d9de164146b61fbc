"""`rostra oneroster clients create SLUG NAME --scope ... [--purpose ...] [--json]`, `list SLUG
[--json]`, `revoke SLUG ID`."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from app.core.commands import run_as_owner
from app.core.db import Database
from app.core.errors import Invalid
from app.core.vocabulary import Action

oneroster_app = typer.Typer(help="The OneRoster 1.2 REST provider.", no_args_is_help=True)
clients_app = typer.Typer(help="OneRoster clients of a school.", no_args_is_help=True)
oneroster_app.add_typer(clients_app, name="clients")


@clients_app.command("create")
def create_client(
    slug: Annotated[str, typer.Argument(help="the school")],
    name: Annotated[str, typer.Argument(help="what reads the roster, e.g. classroom-prod")],
    scope: Annotated[list[str], typer.Option(help="a scope (repeat): roster-core.readonly, ...")],
    purpose: Annotated[str, typer.Option(help="the published purpose")] = "teaching_management",
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Register a client; its secret is shown here once and stored only as a hash."""
    try:
        created = run_as_owner(lambda db: _create(db, slug, name, scope, purpose))
    except Invalid as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    if created is None:
        typer.echo(f"error: no school {slug!r} (run `rostra tenants apply` first)", err=True)
        raise typer.Exit(2)
    if as_json:
        typer.echo(json.dumps(created))
    else:
        typer.echo(f"client_id: {created['client_id']}\nclient_secret: {created['client_secret']}")


async def _create(
    db: Database, slug: str, name: str, scopes: list[str], purpose: str
) -> dict[str, Any] | None:
    from app.authz.audit import record_key_command
    from app.core.db import set_tenant
    from app.oneroster import service
    from app.tenancy.repository import tenant_by_slug

    async with db.session() as session:
        tenant = await tenant_by_slug(session, slug)
        if tenant is None:
            return None
        await set_tenant(session, tenant.id)
        client, secret = await service.create_client(
            session, tenant.id, name=name[:100], scopes=scopes, purpose=purpose, created_by=None
        )
        await record_key_command(
            session, tenant.id, Action.CREATE, service.created_detail(client, "cli")
        )
        return {
            "id": str(client.id),
            "name": client.name,
            "client_id": client.client_id,
            "client_secret": secret,
            "scopes": client.scopes,
            "purpose": client.purpose,
        }


@clients_app.command("list")
def list_clients(
    slug: Annotated[str, typer.Argument(help="the school")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """The school's clients, revoked ones too (never their secrets)."""
    listed = run_as_owner(lambda db: _list(db, slug))
    if listed is None:
        typer.echo(f"error: no school {slug!r}", err=True)
        raise typer.Exit(2)
    if as_json:
        typer.echo(json.dumps(listed))
        return
    for c in listed:
        state = f"revoked {c['revoked_at']}" if c["revoked_at"] else "live"
        typer.echo(f"{c['id']}  {c['client_id']}  {c['name']}  {' '.join(c['scopes'])}  {state}")


@clients_app.command("revoke")
def revoke_client(
    slug: Annotated[str, typer.Argument(help="the school")],
    client_row_id: Annotated[str, typer.Argument(help="the client's id (from `list`)")],
) -> None:
    """Revoke a client: its tokens stop working at once."""
    from app.core.errors import NotFound

    try:
        found = run_as_owner(lambda db: _revoke(db, slug, client_row_id))
    except NotFound as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    if not found:
        typer.echo(f"error: no school {slug!r}", err=True)
        raise typer.Exit(2)
    typer.echo(f"revoked {client_row_id}")


async def _list(db: Database, slug: str) -> list[dict[str, Any]] | None:
    from app.core.db import set_tenant
    from app.oneroster import service
    from app.tenancy.repository import tenant_by_slug

    async with db.session() as session:
        tenant = await tenant_by_slug(session, slug)
        if tenant is None:
            return None
        await set_tenant(session, tenant.id)
        clients = await service.list_clients(session, tenant.id, after=None, fetch=10_000)
        return [
            {
                "id": str(c.id),
                "name": c.name,
                "client_id": c.client_id,
                "scopes": c.scopes,
                "purpose": c.purpose,
                "created_at": c.created_at.isoformat(),
                "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
            }
            for c in clients
        ]


async def _revoke(db: Database, slug: str, client_row_id: str) -> bool:
    from app.authz.audit import record_key_command
    from app.core.db import set_tenant
    from app.oneroster import service
    from app.tenancy.repository import tenant_by_slug

    async with db.session() as session:
        tenant = await tenant_by_slug(session, slug)
        if tenant is None:
            return False
        await set_tenant(session, tenant.id)
        client = await service.revoke_client(session, tenant.id, client_row_id)
        detail = {**client.detail(), "revoked": True, "via": "cli"}
        await record_key_command(session, tenant.id, Action.DELETE, detail)
        return True
