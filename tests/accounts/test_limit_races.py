"""Login limits hold under requests at once (ACC-6, SEC-2, #18): each try is counted in the
database by a conditional write or under the number's lock (PostgreSQL: advisory; SQLite:
the process's own), never read, changed and written back, so requests at once (each on
its own connection) cannot slip past."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from app.accounts.models import OtpCode, SignInFailure
from app.accounts.service import phone_hash
from app.core.db import set_phone_lookup
from app.core.phones import normalize
from tests.accounts.helpers import bearer, send_code, sign_in
from tests.conftest import latest_code

PHONE = "+8613700000031"
GOOD = "correct horse battery staple"


async def _code_row(owner, phone: str) -> OtpCode:
    digest = phone_hash(owner.keys, normalize(phone))
    async with owner.db.session() as session:
        await set_phone_lookup(session, digest)
        rows = await session.execute(
            select(OtpCode).where(OtpCode.phone_hash == digest).order_by(OtpCode.created_at.desc())  # type: ignore[attr-defined]
        )
        return rows.scalars().first()  # type: ignore[return-value]


async def test_ten_wrong_codes_at_once_count_five_tries_and_spend_the_code(client, owner):
    code = await send_code(client, owner, PHONE)
    wrong = "000000" if code != "000000" else "111111"
    answers = await asyncio.gather(
        *(client.post("/v1/auth/token", json={"phone": PHONE, "code": wrong}) for _ in range(10))
    )
    assert {a.status_code for a in answers} == {401}
    assert (await _code_row(owner, PHONE)).attempts == 5  # no try beyond the limit counted
    right = await client.post("/v1/auth/token", json={"phone": PHONE, "code": code})
    assert right.status_code == 401, right.text  # the code's tries are used up


async def test_the_right_code_sent_twice_at_once_signs_in_once(client, owner):
    code = await send_code(client, owner, PHONE)
    answers = await asyncio.gather(
        *(client.post("/v1/auth/token", json={"phone": PHONE, "code": code}) for _ in range(3))
    )
    assert sorted(a.status_code for a in answers) == [200, 401, 401]


async def test_codes_asked_for_at_once_send_one_sms(client, owner):
    """Resend limit under the number's lock: five requests at once, one code, four 429s."""
    answers = await asyncio.gather(
        *(client.post("/v1/auth/otp", json={"phone": PHONE}) for _ in range(5))
    )
    assert sorted(a.status_code for a in answers) == [202, 429, 429, 429, 429]
    assert all(int(a.headers["Retry-After"]) > 0 for a in answers if a.status_code == 429)
    assert await latest_code(owner, PHONE)
    from app.accounts import repository

    async with owner.db.session() as session:
        sent = await repository.outbox_for(session, phone_hash(owner.keys, normalize(PHONE)))
    assert len(sent) == 1


async def test_wrong_passwords_at_once_are_counted_up_to_the_limit(client, owner):
    """Eight wrong passwords at once: five counted (401), the rest refused (429)."""
    pair = await sign_in(client, owner, PHONE)
    put = await client.put("/v1/me/password", json={"password": GOOD}, headers=bearer(pair))
    assert put.status_code == 204, put.text
    answers = await asyncio.gather(
        *(
            client.post("/v1/auth/password", json={"phone": PHONE, "password": f"wrong {n}"})
            for n in range(8)
        )
    )
    assert sorted(a.status_code for a in answers) == [401] * 5 + [429] * 3
    async with owner.db.session() as session:
        failures = (await session.execute(select(SignInFailure))).scalars().all()
    assert len(failures) == 5
    locked = await client.post("/v1/auth/password", json={"phone": PHONE, "password": GOOD})
    assert locked.status_code == 429
