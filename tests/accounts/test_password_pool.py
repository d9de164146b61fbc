"""Password hashes run on a few lowered-priority threads; a burst beyond its queue is 429 (#16)."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from pathlib import Path

import pytest

from app.accounts import passwords
from app.core.config import Settings
from tests.accounts.conftest import CHEAP_ARGON2
from tests.accounts.helpers import bearer, sign_in
from tests.conftest import make_settings

PHONE = "+8613700000031"
GOOD = "correct horse battery staple"


@pytest.fixture
def settings(database, tmp_path: Path) -> Settings:
    """One hashing thread and no waiting room: a second hash at once is refused."""
    return make_settings(
        database, tmp_path, **CHEAP_ARGON2, password_hash_threads=1, password_hash_queue=0
    )


async def test_a_login_while_the_hash_pool_is_full_is_429_and_costs_no_try(client, owner, settings):
    pair = await sign_in(client, owner, PHONE)
    put = await client.put("/v1/me/password", json={"password": GOOD}, headers=bearer(pair))
    assert put.status_code == 204, put.text
    pool = passwords.hash_pool(settings)
    release = threading.Event()
    busy = asyncio.create_task(pool.run(release.wait))  # holds the only thread
    try:
        await asyncio.sleep(0)  # the task starts and takes the thread
        assert pool.admitted == 1
        for _ in range(6):  # more than the five tries a number has
            r = await client.post("/v1/auth/password", json={"phone": PHONE, "password": GOOD})
            assert r.status_code == 429, r.text
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["type"].endswith("/password-checks-busy")
            assert int(r.headers["Retry-After"]) >= 1
        change = await client.put(
            "/v1/me/password", json={"password": GOOD + " two"}, headers=bearer(pair)
        )
        assert change.status_code == 429
    finally:
        release.set()
        await busy
    ok = await client.post("/v1/auth/password", json={"phone": PHONE, "password": GOOD})
    assert ok.status_code == 200, ok.text  # the refused logins used up none of the tries


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="per-thread nice is a Linux behaviour"
)
async def test_hashing_threads_run_at_a_lower_priority(settings):
    def own_nice() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    base = own_nice()
    pool = passwords.hash_pool(settings)
    assert await pool.run(own_nice) == min(19, base + settings.password_hash_nice)
    assert own_nice() == base  # the event loop's thread keeps its priority
