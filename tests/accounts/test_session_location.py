"""A session's coarse location: a city from its IP address, only with consent (ACC-12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.accounts.locating import read_table
from app.core.config import Settings
from tests.accounts.conftest import CHEAP_ARGON2
from tests.accounts.helpers import bearer, sign_in
from tests.conftest import TestDatabase as Database
from tests.conftest import make_settings

PHONE = "+8613700000041"
OTHER = "+8613700000042"
TABLE = """# network,city (the test client connects from 127.0.0.1)
network,city
127.0.0.0/8,Beijing
127.0.0.1/32,Haidian
2001:db8::/32,Shenzhen
"""


@pytest.fixture
def settings(database: Database, tmp_path: Path) -> Settings:
    table = tmp_path / "cities.csv"
    table.write_text(TABLE)
    return make_settings(database, tmp_path, session_location_table=table, **CHEAP_ARGON2)


async def _locations(client, pair) -> list[str | None]:
    listed = await client.get("/v1/me/sessions", headers=bearer(pair))
    assert listed.status_code == 200
    return [s["location"] for s in listed.json()["items"]]


async def test_no_city_without_consent_then_a_city_once_granted(client, owner):
    first = await sign_in(client, owner, PHONE)
    assert await _locations(client, first) == [None]
    state = await client.get("/v1/me/sessions/location-consent", headers=bearer(first))
    assert state.json() == {
        "category": "location",
        "granted": False,
        "granted_at": None,
        "lookup_configured": True,
    }
    granted = await client.put(
        "/v1/me/sessions/location-consent", json={"granted": True}, headers=bearer(first)
    )
    assert granted.status_code == 200 and granted.json()["granted"] is True
    again = await client.put(
        "/v1/me/sessions/location-consent", json={"granted": True}, headers=bearer(first)
    )
    assert again.json()["granted_at"] == granted.json()["granted_at"]  # idempotent
    second = await sign_in(client, owner, PHONE)
    assert sorted(await _locations(client, second), key=str) == ["Haidian", None]
    # Someone else's consent is their own: this person's sessions stay without a city.
    stranger = await sign_in(client, owner, OTHER)
    assert await _locations(client, stranger) == [None]


async def test_withdrawing_forgets_every_sessions_city(client, owner):
    first = await sign_in(client, owner, PHONE)
    await client.put(
        "/v1/me/sessions/location-consent", json={"granted": True}, headers=bearer(first)
    )
    second = await sign_in(client, owner, PHONE)
    assert "Haidian" in await _locations(client, second)
    withdrawn = await client.put(
        "/v1/me/sessions/location-consent", json={"granted": False}, headers=bearer(second)
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["granted"] is False
    assert await _locations(client, second) == [None, None]
    third = await sign_in(client, owner, PHONE)
    assert await _locations(client, third) == [None, None, None]


async def test_bad_body_is_422_and_no_token_is_401(client, owner):
    pair = await sign_in(client, owner, PHONE)
    bad = await client.put(
        "/v1/me/sessions/location-consent", json={"granted": "perhaps"}, headers=bearer(pair)
    )
    assert bad.status_code == 422 and bad.json()["field"] == "granted"
    assert (await client.get("/v1/me/sessions/location-consent")).status_code == 401


def test_the_longest_network_wins_and_other_addresses_have_no_city(tmp_path):
    path = tmp_path / "cities.csv"
    path.write_text(TABLE)
    table = read_table(path)
    assert table.city("127.0.0.1") == "Haidian"
    assert table.city("127.8.9.10") == "Beijing"
    assert table.city("2001:db8::1") == "Shenzhen"
    assert table.city("10.0.0.1") is None
    assert table.city("not an address") is None
