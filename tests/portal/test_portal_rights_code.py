"""The portal's rights request form for a request that needs a fresh SMS code (#10, RGT-18):
the code's try commits on its own, then the request is written, on both databases.

On SQLite the form's savepoint used to open the transaction before the code's own commit,
which then broke it ("database is locked", 500).
"""

from __future__ import annotations

from tests.portal.conftest import csrf_of
from tests.privacy.conftest import people
from tests.privacy.people import STUDENT, move_clock_to
from tests.rights.helpers import fresh_code

__all__ = ["people"]


async def test_a_deletion_with_its_sms_code_is_filed_from_the_portal(
    client, owner, sign_in, people
):
    move_clock_to(2026, 12, 1)
    student = await sign_in(STUDENT)
    token = csrf_of((await student.get("/portal/me/requests")).text)
    wrong = await student.post(
        "/portal/me/requests",
        data={"csrf": token, "type": "deletion", "grounds": "stopped_using", "sms_code": "000000"},
    )
    assert wrong.status_code == 422 and 'class="error"' in wrong.text
    code = await fresh_code(client, owner, STUDENT)
    filed = await student.post(
        "/portal/me/requests",
        data={"csrf": token, "type": "deletion", "grounds": "stopped_using",
              "details": "all of it", "sms_code": code},
    )  # fmt: skip
    assert filed.status_code == 303, filed.text
    listed = await student.get("/portal/me/requests")
    assert "all of it" in listed.text or "删除" in listed.text
