"""`rostra audit seal [SLUG]`, `rostra audit verify SLUG` and `rostra apikeys create SLUG NAME`."""

from __future__ import annotations

from typing import Annotated

import typer

from app.core.commands import run_as_owner
from app.core.db import Database
from app.core.vocabulary import Action

audit_app = typer.Typer(help="The schools' audit logs: seal and verify.", no_args_is_help=True)
apikeys_app = typer.Typer(help="Ingestion API keys of a school.", no_args_is_help=True)


@audit_app.command("seal")
def seal(
    slug: Annotated[str | None, typer.Argument(help="one school; all when left out")] = None,
) -> None:
    """Chain the new entries of every school (or one) to the entries before them."""
    from app.authz.sealing import seal_all

    sealed = run_as_owner(lambda db: seal_all(db, slug))
    if slug is not None and slug not in sealed:
        typer.echo(f"error: no school '{slug}'", err=True)
        raise typer.Exit(2)
    for name, count in sealed.items():
        typer.echo(f"{name}: sealed {count} entries")


@audit_app.command("verify")
def verify(slug: Annotated[str, typer.Argument(help="the school")]) -> None:
    """Check every sealed entry of a school; exit 1 naming the first removed/edited/moved one."""
    from app.authz.verification import verify_slug

    report = run_as_owner(lambda db: verify_slug(db, slug))
    if report is None:
        typer.echo(f"error: no school '{slug}'", err=True)
        raise typer.Exit(2)
    for line in report.lines(slug):
        typer.echo(line, err=not report.ok and "BROKEN" in line)
    if not report.ok:
        raise typer.Exit(1)


@apikeys_app.command("create")
def create_api_key(
    slug: Annotated[str, typer.Argument(help="the school")],
    name: Annotated[str, typer.Argument(help="what the key is for, e.g. classroom-prod")],
) -> None:
    """Create a key; it is shown here once and stored only as a hash."""
    key = run_as_owner(lambda db: _create_key(db, slug, name))
    if key is None:
        typer.echo(f"error: no school {slug!r} (run `rostra tenants apply` first)", err=True)
        raise typer.Exit(2)
    typer.echo(key)


async def _create_key(db: Database, slug: str, name: str) -> str | None:
    from app.authz.apikeys import create_key
    from app.authz.audit import record_key_command
    from app.core.db import set_tenant
    from app.tenancy.repository import tenant_by_slug

    async with db.session() as session:
        tenant = await tenant_by_slug(session, slug)
        if tenant is None:
            return None
        await set_tenant(session, tenant.id)
        key, plaintext = await create_key(session, tenant.id, name[:100], None)
        detail = {"api_key_id": str(key.id), "name": key.name, "via": "cli"}
        await record_key_command(session, tenant.id, Action.CREATE, detail)
        return plaintext
