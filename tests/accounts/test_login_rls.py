"""Row-level security on login state (PostgreSQL): the app role sees one number's codes at a time.

As the service's own role, with no lookup named, the SMS codes, the outbox and the refresh
tokens of every account are invisible; naming one number's keyed hash shows that number's
rows only, and a refresh token is found by its own hash or as its owner's (SEC-2, SEC-7).
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError

from app.accounts.service import phone_hash
from app.core.migrate import sync_url
from app.core.phones import normalize
from tests.conftest import latest_code, postgres_only

PHONES = ("+8613700000021", "+8613700000022")


async def _sign_in(client, owner, phone: str) -> dict[str, str]:
    assert (await client.post("/v1/auth/otp", json={"phone": phone})).status_code == 202
    code = await latest_code(owner, phone)
    token = await client.post("/v1/auth/token", json={"phone": phone, "code": code})
    assert token.status_code == 200, token.text
    return dict(token.json())


def _count(conn, table: str) -> int:
    return int(conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one())


def _lookup(conn, name: str, value: str) -> None:
    conn.execute(text("SELECT set_config(:n, :v, true)"), {"n": f"app.{name}", "v": value})


@postgres_only
async def test_app_role_sees_no_ones_login_codes_without_naming_the_number(
    database, client, owner, schools
):
    tokens = [await _sign_in(client, owner, phone) for phone in PHONES]
    hashes = [phone_hash(owner.keys, normalize(phone)) for phone in PHONES]
    me = await client.get(
        "/v1/me", headers={"Authorization": f"Bearer {tokens[0]['access_token']}"}
    )
    assert me.status_code == 200
    first_account = me.json()["id"]

    engine = create_engine(sync_url(database.app_url))
    try:
        with engine.begin() as conn:
            for table in ("otpcode", "smsmessage", "refreshtoken"):
                assert _count(conn, table) == 0, f"{table}: rows visible with no lookup named"
            assert conn.execute(text("SELECT count(*) FROM tenant")).scalar_one() >= 2
        with engine.begin() as conn:
            _lookup(conn, "phone_hash", hashes[0])
            codes = conn.execute(text("SELECT DISTINCT phone_hash FROM otpcode")).scalars()
            assert list(codes) == [hashes[0]]
            outbox = conn.execute(text("SELECT DISTINCT phone_hash FROM smsmessage")).scalars()
            assert list(outbox) == [hashes[0]]
            assert _count(conn, "refreshtoken") == 0
        with engine.begin() as conn:
            _lookup(conn, "account_id", first_account)
            owners = conn.execute(text("SELECT DISTINCT account_id::text FROM refreshtoken"))
            assert list(owners.scalars()) == [first_account]
        with engine.begin() as conn, pytest.raises(ProgrammingError, match="permission denied"):
            conn.execute(text("UPDATE tenant SET name = 'taken over'"))
    finally:
        engine.dispose()

    # The whole flow still works as that role: refresh, reuse detection, logout.
    rotated = await client.post(
        "/v1/auth/refresh", json={"refresh_token": tokens[1]["refresh_token"]}
    )
    assert rotated.status_code == 200, rotated.text
    reused = await client.post(
        "/v1/auth/refresh", json={"refresh_token": tokens[1]["refresh_token"]}
    )
    assert reused.status_code == 401
    after_reuse = await client.post(
        "/v1/auth/refresh", json={"refresh_token": rotated.json()["refresh_token"]}
    )
    assert after_reuse.status_code == 401  # the family was revoked
    out = await client.post("/v1/auth/logout", json={"refresh_token": tokens[0]["refresh_token"]})
    assert out.status_code == 204
    gone = await client.post("/v1/auth/refresh", json={"refresh_token": tokens[0]["refresh_token"]})
    assert gone.status_code == 401
