"""SMS pumping (#11, SEC-9, PUR-17): allowed calling regions, hourly caps per IP and in all.

Codes went to any country's number without limit, so anyone could run up the SMS bill
("toll fraud"). Now a number outside the allowed regions gets the same answer and nothing is
sent; every code request is counted in the database, so several API processes share one cap.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.accounts import repository
from app.accounts.models import OtpCode, SmsSend
from app.accounts.service import phone_hash
from app.core import clock
from app.core.config import ROOT, Settings
from app.core.context import ServiceContext
from app.core.phones import normalize
from app.main import create_app
from tests.conftest import make_settings
from tests.portal.conftest import csrf_of

CN = "+8613700000401"
US = "+12015550123"  # a valid US number: no school here is in the US
HK = "+85251234567"


@asynccontextmanager
async def api(settings: Settings, ip: str = "203.0.113.7") -> AsyncIterator[httpx.AsyncClient]:
    """One API process (its own app and engine) seen from one client address."""
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://rostra.test") as c:
            yield c
    finally:
        await app.state.ctx.db.dispose()


async def outbox(owner: ServiceContext, phone: str) -> list[Any]:
    async with owner.db.session() as session:
        digest = phone_hash(owner.keys, normalize(phone))
        return await repository.outbox_for(session, digest)


async def counted(owner: ServiceContext) -> int:
    async with owner.db.session() as session:
        return int((await session.execute(select(func.count()).select_from(SmsSend))).scalar_one())


def otp(client: httpx.AsyncClient, phone: str) -> Any:
    return client.post("/v1/auth/otp", json={"phone": phone})


async def test_a_number_outside_the_schools_regions_is_answered_alike_and_sent_nothing(
    settings, owner
):
    """Default regions: the schools' tenant files (both demo schools are in CN)."""
    async with api(settings) as client:
        home, abroad = await otp(client, CN), await otp(client, US)
        assert home.status_code == abroad.status_code == 202
        assert home.json() == abroad.json() == {"sent": True, "expires_in": 300}
        assert home.headers.keys() - {"x-request-id"} == abroad.headers.keys() - {"x-request-id"}
        # The same per-number limits, so a second ask tells no region apart either.
        again_home, again_abroad = await otp(client, CN), await otp(client, US)
        assert again_home.status_code == again_abroad.status_code == 429
        assert again_home.json()["detail"] == again_abroad.json()["detail"]
    assert len(await outbox(owner, CN)) == 1
    assert await outbox(owner, US) == []
    async with owner.db.session() as session:  # a code exists, but nobody received it
        codes = await session.execute(
            select(func.count())
            .select_from(OtpCode)
            .where(OtpCode.phone_hash == phone_hash(owner.keys, US))  # type: ignore[arg-type]
        )
        assert codes.scalar_one() == 1


async def test_allowed_regions_are_a_setting(database, tmp_path, owner):
    settings = make_settings(database, tmp_path, sms_allowed_regions="us, hk")
    async with api(settings) as client:
        for phone in (US, HK, CN):
            assert (await otp(client, phone)).status_code == 202
    assert len(await outbox(owner, US)) == len(await outbox(owner, HK)) == 1
    assert await outbox(owner, CN) == []


def south_in_hong_kong(tmp_path: Path) -> Path:
    tenants = tmp_path / "tenants"
    tenants.mkdir()
    shutil.copy(ROOT / "tenants" / "demo-north.toml", tenants)
    south = (ROOT / "tenants" / "demo-south.toml").read_text()
    (tenants / "demo-south.toml").write_text(south.replace('"CN-GD"', '"HK"'))
    return tenants


async def test_the_default_follows_the_tenant_files(database, tmp_path, owner):
    """A school declared in Hong Kong lets Hong Kong numbers in, without a setting."""
    settings = make_settings(database, tmp_path, tenants_dir=south_in_hong_kong(tmp_path))
    async with api(settings) as client:
        for phone in (US, HK, CN):
            assert (await otp(client, phone)).status_code == 202
    assert len(await outbox(owner, HK)) == len(await outbox(owner, CN)) == 1
    assert await outbox(owner, US) == []


def test_an_unknown_region_in_the_setting_is_refused_at_start(database, tmp_path):
    with pytest.raises(ValueError, match="unknown calling region"):
        make_settings(database, tmp_path, sms_allowed_regions=["CN", "XX"])


async def test_one_address_is_capped_per_hour_others_are_not(database, tmp_path, owner):
    settings = make_settings(database, tmp_path, sms_ip_hourly_limit=3)
    numbers = [f"+86137000005{i:02d}" for i in range(6)]
    async with api(settings, ip="198.51.100.1") as pumping:
        for phone in [*numbers[:2], US]:  # refused regions count for the address too
            assert (await otp(pumping, phone)).status_code == 202
        capped = await otp(pumping, numbers[2])
        assert capped.status_code == 429
        assert capped.headers["content-type"].startswith("application/problem+json")
        assert 3500 < int(capped.headers["Retry-After"]) <= 3601
        assert "address" in capped.json()["detail"]
    async with api(settings, ip="198.51.100.2") as neighbour:
        assert (await otp(neighbour, numbers[3])).status_code == 202
    assert await outbox(owner, numbers[2]) == []
    clock.advance(3601)  # an hour later the address may ask again
    async with api(settings, ip="198.51.100.1") as pumping:
        assert (await otp(pumping, numbers[4])).status_code == 202
    assert len(await outbox(owner, numbers[4])) == 1


async def test_the_global_cap_is_shared_by_every_api_process(database, tmp_path, owner):
    """Two apps on one database (two processes) count once; refused regions fill no cap."""
    settings = make_settings(database, tmp_path, sms_global_hourly_limit=3)
    numbers = [f"+86137000006{i:02d}" for i in range(5)]
    async with api(settings, ip="192.0.2.1") as first, api(settings, ip="192.0.2.2") as second:
        assert (await otp(first, numbers[0])).status_code == 202
        assert (await otp(second, numbers[1])).status_code == 202
        assert (await otp(first, US)).status_code == 202  # not sent: not counted as a send
        assert (await otp(second, numbers[2])).status_code == 202
        full = await otp(first, numbers[3])
        assert full.status_code == 429 and int(full.headers["Retry-After"]) > 3500
        # At the cap a refused region is answered alike: 429, not a tell-tale 202.
        clock.advance(61)
        assert (await otp(second, "+12015550124")).status_code == 429
    assert await outbox(owner, numbers[3]) == []
    assert await counted(owner) == 4  # the requests the cap refused were not counted


async def test_old_counts_are_pruned(settings, owner):
    async with api(settings) as client:
        for i in range(3):
            assert (await otp(client, f"+86137000007{i:02d}")).status_code == 202
        assert await counted(owner) == 3
        clock.advance(3601)
        assert (await otp(client, "+8613700000799")).status_code == 202
    assert await counted(owner) == 1


async def test_the_portal_login_form_counts_against_the_same_caps(database, tmp_path, owner):
    """The portal asks for codes through the same service: same regions, same caps."""
    settings = make_settings(database, tmp_path, sms_ip_hourly_limit=2)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as browser:
        csrf = csrf_of((await browser.get("/portal/login")).text)
        answers = []
        for phone in ("+8613700000801", US, "+8613700000802"):
            form = {"csrf": csrf, "phone": phone}
            answers.append((await browser.post("/portal/login/code", data=form)).status_code)
    await app.state.ctx.db.dispose()
    assert answers == [200, 200, 429]
    assert len(await outbox(owner, "+8613700000801")) == 1
    assert await outbox(owner, US) == [] and await outbox(owner, "+8613700000802") == []
