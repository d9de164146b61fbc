"""One decision function (issue #10, AUZ-1, AUZ-8): the `Authorize` dependency and code that
needs several decisions both call `decide`; `within` says "the school's admins only"."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import Depends

from app.authz.access import Access
from app.authz.decision import WHOLE_SCHOOL, PurposeRefused, decide
from app.authz.deps import Authorize, staff_grants
from app.core.deps import SessionDep
from app.core.errors import Forbidden
from app.core.vocabulary import Action, Purpose, RecordKind
from app.tenancy.deps import MemberDep
from tests.authz.world import PHONES, World, build_world

A = "demo-north"
PURPOSE = Purpose.TEACHING_MANAGEMENT
# At module level: the routes' annotations are strings, resolved in this module's globals.
AdminsOnly = Annotated[
    Access,
    Depends(Authorize(RecordKind.MEMBER, Action.UPDATE, purpose=PURPOSE, within=WHOLE_SCHOOL)),
]


@pytest.fixture
async def world(owner, schools) -> World:
    return await build_world(owner, schools)


def _mount(app) -> None:
    """Two routes no production code has: one decision narrowed to the whole school, and
    one that asks for several decisions and keeps those the caller's roles allow."""

    async def admins_only(access: AdminsOnly) -> dict[str, list[str]]:
        return {"scopes": sorted(access.scopes)}

    async def several(member: MemberDep, session: SessionDep) -> dict[str, list[str]]:
        grants = await staff_grants(session, member)
        allowed: list[str] = []
        for kind in (RecordKind.ATTENDANCE, RecordKind.BEHAVIOUR, RecordKind.API_KEY):
            try:
                decide(member, kind, Action.LIST, PURPOSE, grants=grants)
            except (Forbidden, PurposeRefused):
                continue
            allowed.append(kind)
        return {"kinds": allowed}

    app.add_api_route("/v1/tenants/{slug}/test-admins-only", admins_only)
    app.add_api_route("/v1/tenants/{slug}/test-several", several)


async def test_within_the_whole_school_only_admins_pass(app, client, login, world):
    _mount(app)
    path = f"/v1/tenants/{A}/test-admins-only"
    admin = await client.get(path, headers=await login(PHONES["admin"]))
    assert admin.status_code == 200 and admin.json() == {"scopes": ["tenant"]}
    teacher = await client.get(path, headers=await login(PHONES["teacher"]))
    assert teacher.status_code == 403
    assert teacher.json()["detail"] == "your role may not update member records"
    south = await client.get(path, headers=await login(PHONES["admin_b"]))
    assert south.status_code == 404


async def test_several_decisions_keep_what_each_role_may(app, client, login, world):
    _mount(app)
    path = f"/v1/tenants/{A}/test-several"
    admin = await client.get(path, headers=await login(PHONES["admin"]))
    assert admin.json() == {"kinds": ["attendance", "behaviour"]}  # api_key: security only
    student = await client.get(path, headers=await login(PHONES["student"]))
    assert student.status_code == 200 and "api_key" not in student.json()["kinds"]
    staff = await client.get(path, headers=await login(PHONES["staff"]))
    assert staff.status_code == 404  # no grant: the school is not there for staff
