"""OneRoster REST: req/s of a page of 100 users over HTTP vs the members list endpoint.

Called at the end of `bench/roster_import.py` (`make bench ONLY=roster_import`). A school of
USERS students (scaled by ROSTRA_BENCH_SCALE) in a scratch SQLite file under var/bench/;
the app in-process behind httpx's ASGI transport, as the other HTTP benches run it.
Figure `oneroster_rest_users_page`: `GET /ims/oneroster/rostering/v1p2/users?limit=100`
with a client token; baseline `GET /v1/tenants/{slug}/members?limit=100` as the school's
admin, same database, same run. Both audit their reads. Best of ROUNDS.
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import structlog

from app.accounts.models import Account
from app.core.config import ROOT, Settings
from app.core.migrate import upgrade
from app.core.security import sha256_hex
from app.oneroster.deps import roster_tokens
from app.oneroster.scopes import RosterScope
from app.oneroster.service import create_client
from app.tenancy.models import Membership, Tenant
from bench.report import Figure, figure, write

SCALE = float(os.environ.get("ROSTRA_BENCH_SCALE", "1"))
USERS = max(200, round(5000 * SCALE))
REQUESTS, ROUNDS = 200, 5
SECRET = "bench-secret-key-that-is-long-enough-0123456789"


def _settings(url: str) -> Settings:
    return Settings(env="test", database_url=url, migrate_database_url=url, secret_key=SECRET,
                    log_json=False)  # fmt: skip


def _person(n: int) -> Account:
    return Account(phone_hash=sha256_hex(f"bench-{n}"), phone_enc="-", phone_masked="+86 ****",
                   display_name=f"Student {n:05d}", registered_via="school")  # fmt: skip


async def _seed(app: object, tenant: Tenant) -> tuple[dict[str, str], dict[str, str]]:
    """The school, its students and admin; (admin's headers, client's headers)."""
    ctx = app.state.ctx  # type: ignore[attr-defined]
    async with ctx.db.session() as session:
        session.add(tenant)
        admin = _person(-1)
        people = [_person(n) for n in range(USERS)]
        session.add_all([admin, *people])
        await session.flush()
        session.add(Membership(tenant_id=tenant.id, account_id=admin.id, role="school_admin",
                               status="active"))  # fmt: skip
        session.add_all(
            Membership(tenant_id=tenant.id, account_id=p.id, role="student", status="active")
            for p in people
        )
        client, _ = await create_client(session, tenant.id, name="bench", scopes=[RosterScope.CORE],
                                        purpose="teaching_management", created_by=None)  # fmt: skip
    now = datetime.now(UTC)
    person_token, _ = ctx.keys.signer.issue(str(admin.id), now)
    client_token = roster_tokens(SECRET).issue(client.id, tenant.id, RosterScope.CORE, now)
    return {"Authorization": f"Bearer {person_token}"}, {"Authorization": f"Bearer {client_token}"}


async def _round(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    for _ in range(REQUESTS):
        assert (await client.get(path, headers=headers)).status_code == 200
    return REQUESTS / (time.perf_counter() - started)


async def _rates(
    client: httpx.AsyncClient,
    members: tuple[str, dict[str, str]],
    users: tuple[str, dict[str, str]],
) -> tuple[float, float]:
    """Best req/s of each, their rounds taken in turn so a change of load on the shared
    machine falls on both alike."""
    for (path, headers), key in ((members, "items"), (users, "users")):
        first = await client.get(path, headers=headers)
        assert first.status_code == 200 and len(first.json()[key]) == 100, first.text
    best_members = best_users = 0.0
    for _ in range(ROUNDS):
        best_members = max(best_members, await _round(client, *members))
        best_users = max(best_users, await _round(client, *users))
    return best_members, best_users


async def _run(url: str) -> list[Figure]:
    from app.main import create_app

    app = create_app(_settings(url))
    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())
    tenant = Tenant(slug="bench-oneroster", name="Bench OneRoster", region="CN")
    try:
        admin, roster = await _seed(app, tenant)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            members, users = await _rates(
                client,
                (f"/v1/tenants/{tenant.slug}/members?limit=100", admin),
                ("/ims/oneroster/rostering/v1p2/users?limit=100", roster),
            )
    finally:
        await app.state.ctx.db.dispose()
    print(f"oneroster: users page {users:.0f} req/s, members list {members:.0f} req/s")
    return [figure("oneroster_rest_users_page", users, "req/s", members)]


def main() -> None:
    path = ROOT / "var" / "bench" / "oneroster.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    try:
        write("oneroster", asyncio.run(_run(url)))
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
