"""No personal data in the logs (#18): a full journey through an app logging JSON (as in
production) — register by phone, sign in, enrol, ingest, read, a few refusals — and the log
holds no phone number and no name, while every request line carries its request id.
PRX-5 (processing limited to the entrusted purpose), SEC-6 (records of processing, not data)."""

from __future__ import annotations

import io
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.core import clock
from app.main import create_app
from tests.classroom.conftest import NORTH_ADMIN, World, bearer, event
from tests.conftest import latest_code, make_settings
from tests.roster.helpers import consent

STUDENT_PHONE = "+8613800000277"
STUDENT_NAME = "Ouyang Mingyue"
GUARDIAN_PHONE = "+8613800000377"
GUARDIAN_NAME = "Ouyang Jianguo"
WRONG_PHONE = "+8613800000999"


def _forms(e164: str) -> list[str]:
    """A number as it could leak: E.164, without '+', national."""
    return [e164, e164.lstrip("+"), e164.removeprefix("+86")]


@pytest.fixture
async def logged(
    database, tmp_path, monkeypatch, world
) -> AsyncIterator[tuple[httpx.AsyncClient, io.StringIO]]:
    """A client of an app that logs JSON into a buffer the test reads (built after the world,
    whose own app configures the logs for the console)."""
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stderr", buffer)
    app = create_app(make_settings(database, tmp_path, log_json=True))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://rostra.test") as c:
        yield c, buffer
    await app.state.ctx.db.dispose()


async def _sign_in(client: httpx.AsyncClient, owner: Any, phone: str) -> dict[str, str]:
    clock.advance(61)  # past the resend wait of a code the fixtures asked for
    assert (await client.post("/v1/auth/otp", json={"phone": phone})).status_code == 202
    code = await latest_code(owner, phone)
    token = await client.post("/v1/auth/token", json={"phone": phone, "code": code})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def _journey(client: httpx.AsyncClient, owner: Any, world: World) -> None:
    admin = await _sign_in(client, owner, NORTH_ADMIN)
    north = "/v1/tenants/demo-north"
    registered = await client.post(
        f"{north}/members",
        headers=admin,
        json={
            "phone": STUDENT_PHONE,
            "role": "student",
            "display_name": STUDENT_NAME,
            "age_band": "14to17",
            "consent": consent(),
        },
    )
    assert registered.status_code == 201, registered.text
    student_id = registered.json()["account_id"]
    enrolled = await client.post(
        f"{north}/courses/{world.course}/enrollments",
        headers=admin,
        json={"entries": [{"phone": STUDENT_PHONE, "role": "student"}]},
    )
    assert enrolled.status_code == 200, enrolled.text
    guardian = await client.post(
        f"{north}/members",
        headers=admin,
        json={
            "phone": GUARDIAN_PHONE,
            "role": "guardian",
            "display_name": GUARDIAN_NAME,
            "consent": consent(),
        },
    )
    assert guardian.status_code == 201, guardian.text

    # Refusals log too: a malformed number, a wrong code.
    bad = await client.post(
        f"{north}/members",
        headers=admin,
        json={
            "phone": "138-abc",
            "role": "teacher",
            "display_name": STUDENT_NAME,
            "consent": consent(),
        },
    )
    assert bad.status_code == 422
    assert (await client.post("/v1/auth/otp", json={"phone": WRONG_PHONE})).status_code == 202
    wrong = await client.post("/v1/auth/token", json={"phone": WRONG_PHONE, "code": "000000"})
    assert wrong.status_code in (400, 401)

    student = await _sign_in(client, owner, STUDENT_PHONE)
    world.people[STUDENT_PHONE] = student_id
    batch = {"events": [event(world, "attendance.joined", 1, who=STUDENT_PHONE)]}
    ingested = await client.post("/v1/ingest/events", json=batch, headers=bearer(world.key))
    assert ingested.status_code == 202, ingested.text

    reads = [
        (f"{north}/members", admin),
        (f"{north}/members/{registered.json()['id']}", admin),
        ("/v1/me", student),
        ("/v1/me/consents", student),
        ("/v1/me/learning-record", student),
        ("/v1/me/audit", student),
    ]
    for path, headers in reads:
        answer = await client.get(path, headers=headers)
        assert answer.status_code == 200, (path, answer.text)
    clock.advance(61)


async def test_a_full_journey_logs_no_phone_number_and_no_name(logged, owner, world: World):
    client, buffer = logged
    await _journey(client, owner, world)

    text = buffer.getvalue()
    lines = [orjson.loads(line) for line in text.splitlines() if line.strip()]
    requests = [line for line in lines if line.get("event") == "request"]
    assert len(requests) >= 15, "the journey's requests were logged"
    assert all(len(line["request_id"]) >= 16 for line in requests)
    assert {line["status"] for line in requests} >= {200, 201, 202, 422}
    leaks = [
        needle
        for phone in (STUDENT_PHONE, GUARDIAN_PHONE, NORTH_ADMIN, WRONG_PHONE)
        for needle in _forms(phone)
        if needle in text
    ]
    leaks += [
        name for name in (STUDENT_NAME, GUARDIAN_NAME, "Ouyang", "Admin North") if name in text
    ]
    assert leaks == [], f"personal data in the log: {leaks}"


async def test_a_failed_statement_carries_no_values_into_its_error(app):
    """The engine hides statement parameters: an error's text (which a log line or a
    traceback may carry) names the statement, never the names or numbers bound to it."""
    with pytest.raises(DBAPIError) as failed:
        async with app.state.ctx.db.session() as session:
            await session.execute(
                text("SELECT CAST(:name AS INTEGER) + missing_column"), {"name": STUDENT_NAME}
            )
    assert "missing_column" in str(failed.value)
    assert STUDENT_NAME not in str(failed.value)
