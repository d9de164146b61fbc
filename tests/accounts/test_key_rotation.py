"""`rostra keys rotate`: a new key signs, tokens of the old one stay valid until they expire."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

from app.core import clock
from app.core.config import ROOT
from tests.accounts.helpers import bearer, sign_in

PHONE = "+8613700000041"


def _rotate(settings) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ROSTRA_DATABASE_URL": settings.owner_database_url,
        "ROSTRA_SECRET_KEY": settings.secret_key,
        "ROSTRA_VAR_DIR": str(settings.var_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "keys", "rotate"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def _kid(token: str) -> str:
    head = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"])


async def _kids(client) -> set[str]:
    return {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}


async def test_rotation_keeps_old_tokens_valid_until_they_expire(client, owner, settings):
    before = await sign_in(client, owner, PHONE)
    old_kid = _kid(before["access_token"])
    assert await _kids(client) == {old_kid}

    rotated = _rotate(settings)
    assert rotated.returncode == 0, rotated.stderr
    assert "new signing key" in rotated.stdout

    # Nobody is logged out: the old token still works and its key is still published.
    assert (await client.get("/v1/me", headers=bearer(before))).status_code == 200
    after = await sign_in(client, owner, PHONE)
    new_kid = _kid(after["access_token"])
    assert new_kid != old_kid
    assert await _kids(client) == {old_kid, new_kid}
    assert (await client.get("/v1/me", headers=bearer(after))).status_code == 200

    # Once every token of the old key has expired, the key leaves the JWKS.
    clock.advance(15 * 60 + 1)
    assert await _kids(client) == {new_kid}
    refreshed = await client.post(
        "/v1/auth/refresh", json={"refresh_token": before["refresh_token"]}
    )
    assert refreshed.status_code == 200
    assert _kid(refreshed.json()["access_token"]) == new_kid
    assert (await client.get("/v1/me", headers=bearer(refreshed.json()))).status_code == 200


async def test_a_token_of_a_retired_key_is_refused_after_its_lifetime(client, owner, settings):
    before = await sign_in(client, owner, PHONE)
    assert _rotate(settings).returncode == 0
    assert _rotate(settings).returncode == 0
    assert len(await _kids(client)) == 3
    clock.advance(15 * 60 + 1)
    assert len(await _kids(client)) == 1
    assert (await client.get("/v1/me", headers=bearer(before))).status_code == 401
