"""Sign-in with a school's provider: its userinfo, its failures, its tenant file (ACC-7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.core.migrate import sync_url
from app.tenancy.service import apply_tenants
from app.tenancy.tenantfile import TenantFileError
from tests.accounts.helpers import bearer
from tests.conftest import postgres_only
from tests.identity.conftest import write_tenants
from tests.identity.flow import consent, sign_in, to_provider
from tests.identity.provider import Person
from tests.identity.test_oidc_login import ADMIN_NORTH, _identities_stored, _is_problem


async def test_the_phone_may_come_from_the_userinfo_endpoint(client, schools, providers):
    providers["demo-north"].person = Person("north-admin", ADMIN_NORTH)
    providers["demo-north"].phone_only_in_userinfo = True
    answer = await sign_in(client, "demo-north")
    assert answer.status_code == 200, answer.text
    listed = (await client.get("/v1/me/identities", headers=bearer(answer.json()))).json()
    assert [i["linked_by"] for i in listed["items"]] == ["verified_phone"]


async def test_a_provider_error_is_refused(client, schools, providers):
    url = await to_provider(client, "demo-north")
    state = url.split("state=", 1)[1].split("&", 1)[0]
    refused = await client.get(
        f"/v1/auth/oidc/demo-north/callback?state={state}&error=access_denied"
    )
    _is_problem(refused, 401, "provider-refused")


async def test_a_wrong_client_secret_is_refused_by_the_provider(
    client, owner, schools, providers, monkeypatch
):
    monkeypatch.setenv("ROSTRA_OIDC_DEMO_NORTH_SECRET", "not-the-secret")
    answer = await sign_in(client, "demo-north")
    _is_problem(answer, 401, "provider-refused")
    assert await _identities_stored(owner) == 0


async def test_a_secret_missing_on_this_server_is_502(client, schools, providers, monkeypatch):
    monkeypatch.delenv("ROSTRA_OIDC_DEMO_NORTH_SECRET")
    _is_problem(await client.get("/v1/auth/oidc/demo-north/login"), 502, "provider-unavailable")


async def test_a_reported_account_signs_in_only_by_sms_code(
    client, owner, login, schools, providers
):
    """SEC-14: after a compromise report the provider does not sign the person in either."""
    headers = await login(ADMIN_NORTH)
    assert (await client.post("/v1/me/security/report", headers=headers)).status_code == 201
    providers["demo-north"].person = Person("north-admin", ADMIN_NORTH)
    answer = await sign_in(client, "demo-north")
    _is_problem(answer, 401, "unauthorized")
    assert await _identities_stored(owner) == 0


async def test_a_school_without_a_provider_is_404(client, owner, settings, tmp_path: Path):
    async with owner.db.session() as session:
        await apply_tenants(
            session, owner.keys, Path(__file__).parents[2] / "tenants", dry_run=False
        )
    _is_problem(await client.get("/v1/auth/oidc/demo-north/login"), 404, "not-found")


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('issuer = "http://idp.example.org"', "oidc.issuer"),
        ('scopes = ["phone"]', "oidc.scopes"),
        ('client_secret_setting = "DATABASE_URL"', "oidc.client_secret_setting"),
    ],
)
async def test_a_bad_oidc_section_is_refused_before_any_write(
    owner, providers, tmp_path: Path, line: str, key: str
):
    folder = write_tenants(tmp_path / "bad", providers)
    north = folder / "demo-north.toml"
    lines = north.read_text().splitlines()
    name = line.split(" =", 1)[0]
    lines = [line if ln.startswith(name + " =") else ln for ln in lines]
    north.write_text("\n".join(lines) + "\n")
    async with owner.db.session() as session:
        with pytest.raises(TenantFileError) as err:
            await apply_tenants(session, owner.keys, folder, dry_run=False)
    assert err.value.key == key


async def test_apply_shows_a_changed_provider(owner, providers, tmp_path: Path):
    folder = write_tenants(tmp_path / "tenants", providers)
    async with owner.db.session() as session:
        await apply_tenants(session, owner.keys, folder, dry_run=False)
    north = folder / "demo-north.toml"
    north.write_text(north.read_text().replace('"rostra-demo-north"', '"another-client"'))
    async with owner.db.session() as session:
        plans = await apply_tenants(session, owner.keys, folder, dry_run=True)
    changed = {p.slug: p for p in plans}["demo-north"]
    assert len(changed.changes) == 1 and changed.changes[0].startswith("oidc: ")
    assert "another-client" in changed.changes[0]
    assert providers["demo-north"].client_secret not in changed.changes[0]  # only its name


@postgres_only
async def test_identities_and_attempts_are_hidden_from_a_scan(database, client, schools, providers):
    """Row-level security: the app's role sees no identity or attempt without its lookup."""
    providers["demo-north"].person = Person("north-admin", ADMIN_NORTH)
    assert (await sign_in(client, "demo-north")).status_code == 200
    await to_provider(client, "demo-north")
    app_engine = create_engine(sync_url(database.app_url))
    owner_engine = create_engine(sync_url(database.owner_url))
    try:
        for table in ("external_identity", "oidc_attempt"):
            with app_engine.connect() as conn:
                seen = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            with owner_engine.connect() as conn:
                stored = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            assert seen == 0 and stored >= 1, table
    finally:
        app_engine.dispose()
        owner_engine.dispose()


async def test_the_consent_page_round_trip_keeps_the_callback_on_this_school(
    client, schools, providers
):
    callback = await consent(await to_provider(client, "demo-south"))
    assert callback.startswith("/v1/auth/oidc/demo-south/callback?")


async def test_identities_page_with_limit_and_cursor(client, owner, schools, providers):
    """Two schools' providers linked to one person: `{items, next_cursor}`, `?limit=`."""
    from tests.accounts.helpers import send_code
    from tests.identity.test_oidc_login import NEW_PERSON

    providers["demo-north"].person = Person("north-subject", NEW_PERSON)
    tokens = (await sign_in(client, "demo-north")).json()
    providers["demo-south"].person = Person("south-subject", NEW_PERSON)
    pending = await sign_in(client, "demo-south")
    assert pending.status_code == 202  # not a confirmed member of South: an SMS code first
    code = await send_code(client, owner, NEW_PERSON)
    body = {"link_token": pending.json()["link_token"], "phone": NEW_PERSON, "code": code}
    assert (await client.post("/v1/auth/oidc/demo-south/confirm", json=body)).status_code == 200
    first = (await client.get("/v1/me/identities?limit=1", headers=bearer(tokens))).json()
    assert [i["school"] for i in first["items"]] == ["demo-north"] and first["next_cursor"]
    second = await client.get(
        f"/v1/me/identities?limit=1&cursor={first['next_cursor']}", headers=bearer(tokens)
    )
    assert [i["school"] for i in second.json()["items"]] == ["demo-south"]
    assert second.json()["next_cursor"] is None
    bad = await client.get("/v1/me/identities?limit=0", headers=bearer(tokens))
    assert bad.status_code == 422 and bad.json()["field"] == "limit"
