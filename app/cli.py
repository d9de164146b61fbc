"""The `rostra` command."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from app.authz.cli import apikeys_app, audit_app
from app.core.config import get_settings
from app.lifecycle.cli import offboard, replay_log, shutdown_app
from app.oneroster.cli import oneroster_app
from app.retention.cli import retention_app
from app.roster.cli import roster_app

app = typer.Typer(help="Rostra: online-classroom records for schools.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
tenants_app = typer.Typer(help="Schools declared in tenants/*.toml.", no_args_is_help=True)
sms_app = typer.Typer(help="SMS messages (development outbox).", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
keys_app = typer.Typer(help="Access-token signing keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tenants_app, name="tenants")
app.add_typer(sms_app, name="sms")
app.add_typer(demo_app, name="demo")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
app.add_typer(apikeys_app, name="apikeys")
app.add_typer(roster_app, name="roster")
app.add_typer(oneroster_app, name="oneroster")
app.add_typer(retention_app, name="retention")
app.add_typer(shutdown_app, name="shutdown")
tenants_app.command("offboard")(offboard)
retention_app.command("replay")(replay_log)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(envvar="ROSTRA_PORT", help="port")] = None,
    workers: Annotated[int, typer.Option(help="worker processes")] = 1,
) -> None:
    """Serve the API with uvicorn on uvloop and httptools; /metrics sums every worker."""
    import os
    import shutil

    import uvicorn

    from app.core.metrics import MULTIPROCESS_ENV, multiprocess_dir

    settings = get_settings()
    given = os.environ.get(MULTIPROCESS_ENV)
    configured = settings.metrics_multiproc_dir or (Path(given) if given else None)
    shared, made = multiprocess_dir(configured, workers)
    if shared is not None:  # the workers are new processes: they inherit it before importing
        os.environ[MULTIPROCESS_ENV] = str(shared)
    try:
        uvicorn.run(
            "app.asgi:app",
            host=host or settings.host,
            port=port or settings.port,
            workers=workers,
            loop="uvloop",
            http="httptools",
            log_level="warning",
            access_log=False,
            timeout_worker_healthcheck=settings.worker_healthcheck_seconds,
        )
    finally:
        if made and shared is not None:
            shutil.rmtree(shared, ignore_errors=True)


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="run the due jobs, then stop")] = False,
) -> None:
    """Run background jobs (exports): procrastinate on PostgreSQL, the job table on SQLite."""
    import app.lifecycle.incidents
    import app.lifecycle.offboarding
    import app.retention.tasks
    import app.rights.export.tasks
    import app.roster.imports.runs  # noqa: F401  (registers the jobs: export, import, ...)
    from app.authz.wiring import SealerSettings, run_sealer
    from app.core.context import ServiceContext
    from app.jobs.settings import JobSettings
    from app.jobs.wiring import drain, run_worker

    async def work() -> None:
        ctx = ServiceContext.build(get_settings())
        sealer = SealerSettings()
        # The worker seals the audit chain too (the sealer lock lets one process at a time),
        # so API processes can leave it to the worker: ROSTRA_AUDIT_SEALER=false there.
        sealing = None
        if sealer.sealer and not once:
            sealing = asyncio.create_task(run_sealer(ctx, sealer.seal_every_seconds))
        try:
            await (drain(ctx) if once else run_worker(ctx, JobSettings()))
        finally:
            if sealing is not None:
                sealing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sealing
            await ctx.db.dispose()

    typer.echo("worker started" if not once else "running the due jobs")
    asyncio.run(work())


@db_app.command("upgrade")
def db_upgrade(revision: str = "heads") -> None:
    """Apply the migrations (the only way the schema changes)."""
    from app.core.migrate import upgrade

    upgrade(get_settings().owner_database_url, revision)
    typer.echo("database is at the newest schema")


@db_app.command("grant")
def db_grant(role: str) -> None:
    """PostgreSQL: let the application's plain role use the tables (RLS applies to it)."""
    from app.core.migrate import grant_app_role

    grant_app_role(get_settings().owner_database_url, role)
    typer.echo(f"granted table access to {role}")


@db_app.command("distribute")
def db_distribute(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the plan only")] = False,
) -> None:
    """Citus: platform tables as reference tables, tenant tables distributed by tenant_id."""
    from app.core.citus import (
        CitusMissing,
        distribute,
        distribution_plan,
        propagation_statement,
        schema_problems,
    )
    from app.schema import metadata

    problems = schema_problems(metadata)
    if problems:
        typer.echo("the schema cannot be distributed by tenant_id:", err=True)
        for problem in problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(2)
    url = get_settings().owner_database_url
    steps = distribution_plan(metadata)
    for step in steps:
        typer.echo(step.line())
    setting = propagation_statement(url)
    typer.echo(f"setting      {setting}  (SET LOCAL reaches the workers: row-level security)")
    if dry_run:
        typer.echo("dry run: nothing changed")
        return
    try:
        said, *done = distribute(url, steps)
    except CitusMissing as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(said)
    typer.echo(f"distributed: {len(done)} table(s) changed, {len(steps) - len(done)} already were")


@tenants_app.command("apply")
def tenants_apply(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show the plan only")] = False,
    directory: Annotated[Path | None, typer.Option(help="tenant files folder")] = None,
) -> None:
    """Make the database match tenants/*.toml, showing the difference first."""
    from app.tenancy.tenantfile import TenantFileError

    try:
        lines = asyncio.run(_apply(directory, dry_run))
    except TenantFileError as exc:
        typer.echo(f"error: {exc.path.name}: key '{exc.key}': {exc.reason}", err=True)
        typer.echo("nothing was applied", err=True)
        raise typer.Exit(2) from None
    for line in lines:
        typer.echo(line)


async def _apply(directory: Path | None, dry_run: bool) -> list[str]:
    from app.core.context import ServiceContext
    from app.privacy.notices import publish_declared_notices
    from app.tenancy.repository import all_tenants
    from app.tenancy.service import apply_tenants

    settings = get_settings()
    ctx = ServiceContext.build(
        settings.model_copy(update={"database_url": settings.owner_database_url})
    )
    try:
        async with ctx.db.session() as session:
            plans = await apply_tenants(
                session, ctx.keys, directory or settings.tenants_dir, dry_run=dry_run
            )
            if not dry_run:  # the notice versions the files declare (privacy domain)
                await publish_declared_notices(session, await all_tenants(session))
    finally:
        await ctx.db.dispose()
    lines = [line for plan in plans for line in plan.lines()]
    changed = sum(not p.empty for p in plans)
    if dry_run:
        lines.append(f"dry run: {changed} school(s) would change; nothing written")
    else:
        lines.append(f"applied: {changed} school(s) changed" if changed else "no changes")
    return lines


@keys_app.command("rotate")
def keys_rotate() -> None:
    """A new key signs from now on; older ones stay in the JWKS until their tokens expire."""
    from app.core import clock
    from app.core.signing_keys import rotate

    settings = get_settings()
    kid = rotate(settings.var_dir / "jwt_keys", clock.now())
    minutes = settings.access_token_minutes
    typer.echo(f"new signing key {kid}; the previous one stays valid for {minutes} minutes")


@sms_app.command("outbox")
def sms_outbox(
    phone: Annotated[str, typer.Option(help="the number the messages went to")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON list, oldest first")] = False,
) -> None:
    """Messages the console sender 'sent' to a number (development)."""
    from app.core.phones import InvalidPhone, normalize

    try:
        e164 = normalize(phone, get_settings().default_region)
    except InvalidPhone as exc:
        typer.echo(f"error: --phone: {exc}", err=True)
        raise typer.Exit(2) from None
    messages = asyncio.run(_outbox(e164))
    if as_json:
        typer.echo(json.dumps(messages))
        return
    for m in messages:
        typer.echo(f"{m['sent_at']}  {m['phone']}  {m['body']}")


async def _outbox(e164: str) -> list[dict[str, str | None]]:
    from app.accounts import repository
    from app.accounts.service import phone_hash
    from app.core.context import ServiceContext

    settings = get_settings()
    ctx = ServiceContext.build(
        settings.model_copy(update={"database_url": settings.owner_database_url})
    )
    try:
        async with ctx.db.session() as session:
            rows = await repository.outbox_for(session, phone_hash(ctx.keys, e164))
            return [
                {"phone": e164, "code": m.code, "sent_at": m.sent_at.isoformat(), "body": m.body}
                for m in rows
            ]
    finally:
        await ctx.db.dispose()


@demo_app.command("load")
def demo_load() -> None:
    """Load the demo schools' people, courses and classroom data (idempotent)."""
    for line in asyncio.run(_demo()):
        typer.echo(line)
    settings = get_settings()
    typer.echo("")
    typer.echo(f"Rostra is starting on http://{settings.host}:{settings.port}  (API docs: /docs)")
    typer.echo("Log in with a phone number; in development the SMS code is printed by:")
    typer.echo("  .venv/bin/rostra sms outbox --phone +8613800000001")
    typer.echo("Demo accounts: admins +8613800000001 (demo-north), +8613900000001 (demo-south);")
    typer.echo(
        "  teachers +8613800000101/0102, assistant 0151, students 0201-0220, guardians 0301-0310"
    )
    typer.echo("  (south: +86139000 0xxx); platform staff +8613600000001")


async def _demo() -> list[str]:
    from app.core.context import ServiceContext
    from app.demo import load_demo

    settings = get_settings()
    ctx = ServiceContext.build(
        settings.model_copy(update={"database_url": settings.owner_database_url})
    )
    try:
        async with ctx.db.session() as session:
            return await load_demo(session, ctx.keys)
    finally:
        await ctx.db.dispose()


def main() -> None:
    try:
        app()
    except ValueError as exc:  # settings refused (e.g. production with the default secret)
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
