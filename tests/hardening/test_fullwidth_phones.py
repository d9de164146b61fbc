"""Full-width digits normalise the same on every path (#11): one function, NFKC first.

Sign-in refused a code typed in full-width digits; numbers, codes and ingested phones now
all go through `app.core.phones.narrow`.
"""

from __future__ import annotations

from tests.classroom.conftest import NORTH_ADMIN, TEACHER, event, send
from tests.conftest import latest_code
from tests.roster.helpers import NORTH, person

FULL = str.maketrans("+0123456789", "＋０１２３４５６７８９")


def wide(phone: str) -> str:
    return phone.translate(FULL)


async def test_registration_and_sign_in_accept_full_width_digits(client, login, owner, world):
    admin = await login(NORTH_ADMIN)
    registered = await client.post(
        f"{NORTH}/members", json=person(wide("13800000782")), headers=admin
    )
    assert registered.status_code == 201, registered.text
    assert registered.json()["phone_masked"] == "+86 138****0782"

    sent = await client.post("/v1/auth/otp", json={"phone": wide("+8613800000782")})
    assert sent.status_code == 202, sent.text
    code = await latest_code(owner, "+8613800000782")  # the same number, in ASCII
    token = await client.post(
        "/v1/auth/token", json={"phone": wide("13800000782"), "code": wide(code)}
    )
    assert token.status_code == 200, token.text


async def test_ingestion_accepts_a_full_width_phone(client, world):
    sent = event(world, "attendance.joined", who=TEACHER)
    del sent["user"]
    sent["phone"] = wide(TEACHER)
    response = await send(client, world.key, [sent])
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 1
