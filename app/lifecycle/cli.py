"""`rostra tenants offboard` and `rostra shutdown`: the same lifecycle as the API, for operators."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer

from app.core.config import get_settings
from app.core.context import ServiceContext

shutdown_app = typer.Typer(help="The service's shutdown (SHD-1..4).", no_args_is_help=True)


async def _with_ctx(work: Any) -> Any:
    ctx = ServiceContext.build(get_settings())
    try:
        return await work(ctx)
    finally:
        await ctx.db.dispose()


def _proof_line(proof: Any) -> dict[str, Any]:
    from app.lifecycle.deletion import proof_body

    return {**proof_body(proof), "signature": proof.signature}


async def _offboard(ctx: ServiceContext, slug: str | None, cancel: bool, due: bool) -> Any:
    from app.lifecycle import offboarding
    from app.lifecycle.schemas import OffboardingOut
    from app.tenancy.repository import tenant_by_slug

    if due:
        return {"deleted": [_proof_line(p) for p in await offboarding.run_due(ctx)]}
    async with ctx.db.session() as session:
        tenant = await tenant_by_slug(session, slug or "")
        if tenant is None:
            return None
        if cancel:
            row = await offboarding.cancel(session, tenant, None)
        else:
            row, _ = await offboarding.start(session, tenant, None)
        return OffboardingOut.of(row).model_dump(mode="json")


def offboard(
    slug: Annotated[str | None, typer.Argument(help="the school")] = None,
    cancel: Annotated[
        bool, typer.Option("--cancel", help="stop it during the notice period")
    ] = False,
    due: Annotated[
        bool, typer.Option("--due", help="delete every school whose notice period has ended")
    ] = False,
) -> None:
    """Offboard a school: its export is built, its data deleted after the notice period."""
    from app.core.errors import DomainError

    if slug is None and not due:
        typer.echo("error: name the school, or pass --due", err=True)
        raise typer.Exit(2)
    try:
        out = asyncio.run(_with_ctx(lambda ctx: _offboard(ctx, slug, cancel, due)))
    except DomainError as exc:
        typer.echo(f"error: {exc.detail or exc.title}", err=True)
        raise typer.Exit(1) from None
    if out is None:
        typer.echo(f"error: no school {slug!r}", err=True)
        raise typer.Exit(2)
    typer.echo(json.dumps(out, indent=2, ensure_ascii=False))
