"""The authorisation matrix: every role x record kind x action with an endpoint, from the policy.

For each (kind, action) that policies/roles.csv names and ENDPOINTS maps to an HTTP endpoint,
each role of the school calls it for a record inside its scopes, one outside them (when its
scopes leave anything outside) and one of the other school. The expected answer comes from
`Policy.allowed_scopes` and the endpoint's declared purpose, never from the code under test:
no scope -> 403; purpose not covering the kind -> 403; outside every scope -> 404 (lists:
absent); another school -> 404. The world is tests/authz/world.py.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx
import pytest

from app.authz.apikeys import create_key
from app.authz.models import SupportGrant
from app.classroom.models import (
    AttendanceSpan,
    ClassroomEvent,
    LessonFile,
    LessonRollup,
    RecordingGrant,
)
from app.core import clock
from app.core.db import set_tenant
from app.core.policy import get_policy
from app.core.vocabulary import Action, RecordKind, Role
from app.tenancy.deps import Member
from tests.authz.world import PHONES, World, add_entry, build_world
from tests.conftest import cross_school

Mode = Literal["list", "one", "nested", "create", "delete", "export"]
Target = Literal["in", "out", "other"]

# The seeded person each role logs in as.
CALLER = {
    Role.SCHOOL_ADMIN: "admin",
    Role.TEACHER: "teacher",
    Role.ASSISTANT: "assistant",
    Role.STUDENT: "student",
    Role.GUARDIAN: "guardian",
}


@dataclass
class Seeded:
    """The world plus records the matrix needs beyond it (audit entries, grants)."""

    world: World
    audit_about: dict[str, uuid.UUID]
    grants: dict[str, uuid.UUID]
    options: frozenset[str]  # school A's options that are on, as a member of A sees them
    # A recording and a snapshot per target: in lesson L1 (the recording granted to S1), in
    # L2 and in school B's lesson.
    files: dict[str, dict[str, uuid.UUID]] = field(default_factory=dict)
    api_keys: dict[str, uuid.UUID] = field(default_factory=dict)  # "in": A's, "other": B's


def person_in_scope(caller: str, scopes: frozenset[str]) -> str | None:
    """Whose record a caller with these scopes reaches: S1 through the school, their course
    or their child; themselves through `self` / `subject`."""
    if scopes & {"tenant", "taught_courses", "children"}:
        return "student"
    if scopes & {"self", "subject"}:
        return caller
    return None


# Each records function answers the id to put in the path (or to look for in a list) for
# the in-scope, out-of-scope and other-school record; None when there is none.
Records = Callable[[Seeded, str, frozenset[str], Target], uuid.UUID | None]


def memberships(s: Seeded, caller: str, scopes: frozenset[str], target: Target) -> uuid.UUID | None:
    who = {"in": person_in_scope(caller, scopes), "out": "student2", "other": "student_b"}[target]
    return s.world.memberships[who].id if who else None


def courses(s: Seeded, caller: str, scopes: frozenset[str], target: Target) -> uuid.UUID | None:
    return s.world.courses[{"in": "c1", "out": "c2", "other": "cb"}[target]]


def lessons(s: Seeded, caller: str, scopes: frozenset[str], target: Target) -> uuid.UUID | None:
    return s.world.lessons[{"in": "l1", "out": "l2", "other": "lb"}[target]]


def enrollments(s: Seeded, caller: str, scopes: frozenset[str], target: Target) -> uuid.UUID | None:
    # S1's enrolment in C1 is reached by every scope of every role; S2's in C2 by none but tenant.
    return s.world.enrollments[{"in": "student", "out": "student2", "other": "student_b"}[target]]


def audit_entries(
    s: Seeded, caller: str, scopes: frozenset[str], target: Target
) -> uuid.UUID | None:
    who = {"in": person_in_scope(caller, scopes), "out": "student2", "other": "student_b"}[target]
    return s.audit_about[who] if who else None


def support_grants(
    s: Seeded, caller: str, scopes: frozenset[str], target: Target
) -> uuid.UUID | None:
    return s.grants.get({"in": "a", "out": "", "other": "b"}[target])


def recordings(s: Seeded, caller: str, scopes: frozenset[str], target: Target) -> uuid.UUID | None:
    return s.files["recording"][target]


def snapshots(s: Seeded, caller: str, scopes: frozenset[str], target: Target) -> uuid.UUID | None:
    return s.files["snapshot"][target]


def api_keys(s: Seeded, caller: str, scopes: frozenset[str], target: Target) -> uuid.UUID | None:
    return s.api_keys.get(target)


def enrollment_body(s: Seeded) -> dict[str, Any]:
    return {"entries": [{"phone": PHONES["student2"], "role": "student"}]}


def recording_grant_body(s: Seeded) -> dict[str, Any]:
    return {"phone": PHONES["student"], "expires_at": (clock.now() + timedelta(days=1)).isoformat()}


def grant_body(s: Seeded) -> dict[str, Any]:
    return {
        "staff_phone": PHONES["staff"],
        "record_kinds": ["member"],
        "purpose": "technical_support",
        "expires_at": (clock.now() + timedelta(days=1)).isoformat(),
        "reason": "matrix",
    }


def course_body(s: Seeded) -> dict[str, Any]:
    return {
        "code": f"M-{uuid.uuid4().hex[:8]}",
        "name": "Matrix course",
        "starts_on": "2026-09-01",
        "ends_on": "2027-01-31",
    }


def member_body(s: Seeded) -> dict[str, Any]:
    return {
        "phone": f"+86137{uuid.uuid4().int % 10**8:08d}",
        "role": "teacher",
        "display_name": "Matrix",
        "consent": {
            "given_by": "self",
            "method": "paper_form",
            "notice_version": "1",
            "given_at": (clock.now() - timedelta(hours=1)).isoformat(),
        },
    }


def lesson_body(s: Seeded) -> dict[str, Any]:
    return {"title": "Matrix lesson", "starts_at": "2026-10-02T08:00:00Z", "duration_minutes": 45}


@dataclass(frozen=True)
class Endpoint:
    kind: RecordKind
    action: Action
    method: str
    path: str  # {slug}; {id} for the record (or the parent of a nested list)
    purpose: str  # the purpose the endpoint declares
    mode: Mode
    records: Records | None = None
    item_key: str = "id"
    body: Callable[[Seeded], dict[str, Any]] | None = None
    ok: int = 200


T = "/v1/tenants/{slug}"
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        RecordKind.MEMBER, Action.LIST, "GET", T + "/members", "teaching_management", "list",
        memberships,
    ),
    Endpoint(
        RecordKind.MEMBER, Action.READ, "GET", T + "/members/{id}", "teaching_management", "one",
        memberships,
    ),
    Endpoint(
        RecordKind.MEMBER, Action.CREATE, "POST", T + "/members", "teaching_management", "create",
        body=member_body, ok=201,
    ),
    Endpoint(
        RecordKind.COURSE, Action.LIST, "GET", T + "/courses", "teaching_management", "list",
        courses,
    ),
    Endpoint(
        RecordKind.COURSE, Action.READ, "GET", T + "/courses/{id}", "teaching_management", "one",
        courses,
    ),
    Endpoint(
        RecordKind.COURSE, Action.CREATE, "POST", T + "/courses", "teaching_management", "create",
        body=course_body, ok=201,
    ),
    Endpoint(
        RecordKind.LESSON, Action.LIST, "GET", T + "/courses/{id}/lessons", "teaching_management",
        "nested", courses,
    ),
    Endpoint(
        RecordKind.LESSON, Action.CREATE, "POST", T + "/courses/{id}/lessons",
        "teaching_management", "create", courses, body=lesson_body, ok=201,
    ),
    Endpoint(
        RecordKind.LESSON, Action.READ, "GET", T + "/lessons/{id}", "teaching_management", "one",
        lessons,
    ),
    Endpoint(
        RecordKind.LESSON, Action.UPDATE, "PATCH", T + "/lessons/{id}", "teaching_management",
        "one", lessons, body=lambda s: {"title": "Renamed by the matrix"},
    ),
    Endpoint(
        RecordKind.ENROLLMENT, Action.LIST, "GET", T + "/enrollments", "teaching_management",
        "list", enrollments,
    ),
    Endpoint(
        RecordKind.ENROLLMENT, Action.LIST, "GET", T + "/courses/{id}/enrollments",
        "teaching_management", "nested", courses,
    ),
    Endpoint(
        RecordKind.BEHAVIOUR, Action.LIST, "GET",
        T + "/lessons/{id}/events?kind=behaviour.camera_on", "teaching_management", "nested",
        lessons,
    ),
    Endpoint(
        RecordKind.TOOL_USE, Action.LIST, "GET", T + "/lessons/{id}/events?kind=tool.buzzer",
        "teaching_management", "nested", lessons,
    ),
    Endpoint(
        RecordKind.TEACHER_ACTION, Action.LIST, "GET",
        T + "/lessons/{id}/events?kind=teacher.muted&purpose=teaching_quality", "teaching_quality",
        "nested", lessons,
    ),
    Endpoint(
        RecordKind.COURSEWARE_USE, Action.LIST, "GET",
        T + "/lessons/{id}/events?kind=courseware.page&purpose=teaching_quality",
        "teaching_quality", "nested", lessons,
    ),
    Endpoint(
        RecordKind.DIAGNOSTICS, Action.LIST, "GET",
        T + "/lessons/{id}/events?kind=diagnostics.sample&purpose=technical_support",
        "technical_support", "nested", lessons,
    ),
    Endpoint(
        RecordKind.RECORDING, Action.LIST, "GET", T + "/lessons/{id}/recordings",
        "teaching_management", "nested", lessons,
    ),
    Endpoint(
        RecordKind.RECORDING, Action.READ, "GET", T + "/recordings/{id}/link",
        "teaching_management", "one", recordings,
    ),
    Endpoint(
        RecordKind.RECORDING, Action.GRANT, "GET", T + "/recordings/{id}/grants",
        "teaching_management", "nested", recordings,
    ),
    Endpoint(
        RecordKind.RECORDING, Action.GRANT, "POST", T + "/recordings/{id}/grants",
        "teaching_management", "create", recordings, body=recording_grant_body, ok=201,
    ),
    Endpoint(
        RecordKind.SNAPSHOT, Action.READ, "GET", T + "/snapshots/{id}/link",
        "teaching_management", "one", snapshots,
    ),
    Endpoint(
        RecordKind.ATTENDANCE, Action.LIST, "GET", T + "/lessons/{id}/attendance",
        "teaching_management", "nested", lessons,
    ),
    Endpoint(
        RecordKind.ROLLUP, Action.LIST, "GET", T + "/lessons/{id}/rollups",
        "teaching_management", "nested", lessons,
    ),
    Endpoint(
        RecordKind.SNAPSHOT, Action.LIST, "GET", T + "/lessons/{id}/snapshots",
        "teaching_management", "nested", lessons,
    ),
    Endpoint(
        RecordKind.AUDIT_ENTRY, Action.LIST, "GET", T + "/audit", "security", "list",
        audit_entries,
    ),
    Endpoint(
        RecordKind.AUDIT_ENTRY, Action.EXPORT, "GET", T + "/audit/export", "security", "export",
        audit_entries,
    ),
    Endpoint(
        RecordKind.SUPPORT_GRANT, Action.LIST, "GET", T + "/support-grants", "security", "list",
        support_grants,
    ),
    Endpoint(
        RecordKind.SUPPORT_GRANT, Action.CREATE, "POST", T + "/support-grants", "security",
        "create", body=grant_body, ok=201,
    ),
    Endpoint(
        RecordKind.SUPPORT_GRANT, Action.DELETE, "DELETE", T + "/support-grants/{id}", "security",
        "delete", support_grants, ok=204,
    ),
    Endpoint(
        RecordKind.API_KEY, Action.LIST, "GET", T + "/api-keys", "security", "list",
    ),
    Endpoint(
        RecordKind.API_KEY, Action.CREATE, "POST", T + "/api-keys", "security", "create",
        body=lambda s: {"name": f"matrix-{uuid.uuid4().hex[:6]}"}, ok=201,
    ),
    Endpoint(
        RecordKind.ENROLLMENT, Action.CREATE, "POST", T + "/courses/{id}/enrollments",
        "teaching_management", "create", courses, body=enrollment_body,
    ),
    Endpoint(
        RecordKind.API_KEY, Action.DELETE, "DELETE", T + "/api-keys/{id}", "security", "delete",
        api_keys, ok=204,
    ),
    # Last: it deactivates S1 for the rest of the role's run.
    Endpoint(
        RecordKind.MEMBER, Action.UPDATE, "POST", T + "/members/{id}/deactivate",
        "teaching_management", "one", memberships, body=lambda s: {"reason": "matrix"},
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Case:
    role: Role
    endpoint: Endpoint
    target: Target
    via_other_slug: bool = False

    @property
    def name(self) -> str:
        where = "B's slug" if self.via_other_slug else "A's slug"
        e = self.endpoint
        return f"{self.role} {e.method} {e.path} [{self.target}, {where}]"


def allowed(role: Role, endpoint: Endpoint, options: frozenset[str]) -> frozenset[str]:
    """The scopes the policy gives the role here; empty when the declared purpose refuses."""
    policy = get_policy()
    scopes = policy.allowed_scopes(frozenset({role}), endpoint.kind, endpoint.action, options)
    if not policy.purpose_covers(endpoint.purpose, endpoint.kind):
        return frozenset()
    return frozenset(str(s) for s in scopes)


def cases_for(role: Role, options: frozenset[str]) -> list[Case]:
    cases: list[Case] = []
    for endpoint in ENDPOINTS:
        scopes = allowed(role, endpoint, options)
        cases.append(Case(role, endpoint, "in"))
        # Grants are school-wide or nothing: no record lies outside a scope there.
        reaches_part = endpoint.records not in (None, support_grants) and "tenant" not in scopes
        if reaches_part:
            cases.append(Case(role, endpoint, "out"))
        if endpoint.records is not None:
            cases.append(Case(role, endpoint, "other"))
        cases.append(Case(role, endpoint, "other", via_other_slug=True))
    return cases


def pairs_without_endpoint() -> list[tuple[str, str]]:
    """(kind, action) pairs some role may use that no endpoint in ENDPOINTS serves yet."""
    policy = get_policy()
    served = {(e.kind, e.action) for e in ENDPOINTS}
    names = policy.option_names()
    option_sets = [
        frozenset(c) for n in range(len(names) + 1) for c in itertools.combinations(names, n)
    ]
    used = {
        (kind, action)
        for kind, action, role, options in itertools.product(RecordKind, Action, Role, option_sets)
        if policy.allowed_scopes(frozenset({role}), kind, action, options)
    }
    return sorted((str(k), str(a)) for k, a in used - served)


def test_the_matrix_covers_the_policy():
    """Pure: every endpoint names a (kind, action) of the policy; print the plan's size."""
    policy = get_policy()
    for endpoint in ENDPOINTS:
        assert any(
            policy.allowed_scopes(frozenset({role}), endpoint.kind, endpoint.action)
            for role in Role
        ), f"{endpoint.path}: no role may {endpoint.action} {endpoint.kind}"
    total = sum(len(cases_for(role, frozenset())) for role in Role)
    missing = pairs_without_endpoint()
    print(
        f"\nauthz matrix: {total} cases per database over {len(ENDPOINTS)} endpoints; "
        f"{len(missing)} (kind, action) pairs without an endpoint yet: {missing}"
    )
    assert total > 0


async def _seed(owner, schools) -> Seeded:
    world = await build_world(owner, schools)
    about = {
        who: await add_entry(owner, world.a, subjects=[world.id(who)])
        for who in ("admin", "teacher", "assistant", "student", "student2", "guardian")
    }
    about["student_b"] = await add_entry(owner, world.b, subjects=[world.id("student_b")])
    grants: dict[str, uuid.UUID] = {}
    async with owner.db.session() as session:
        for name, tenant in (("a", world.a), ("b", world.b)):
            await set_tenant(session, tenant.id)
            grant = SupportGrant(
                tenant_id=tenant.id,
                staff_account_id=world.id("staff"),
                record_kinds=["member"],
                purpose="technical_support",
                reason="seeded",
                expires_at=clock.now() + timedelta(days=1),
            )
            session.add(grant)
            await session.flush()
            grants[name] = grant.id
        files: dict[str, dict[str, uuid.UUID]] = {"recording": {}, "snapshot": {}}
        for target, tenant, lesson in (
            ("in", world.a, world.lessons["l1"]),
            ("out", world.a, world.lessons["l2"]),
            ("other", world.b, world.lessons["lb"]),
        ):
            await set_tenant(session, tenant.id)
            for kind in files:
                file = LessonFile(
                    tenant_id=tenant.id,
                    lesson_id=lesson,
                    kind=kind,
                    object_key=f"matrix/{uuid.uuid4()}",
                    content_type="video/mp4" if kind == "recording" else "image/jpeg",
                    size_bytes=1,
                    sha256="0" * 64,
                    notice_shown=True,
                )
                session.add(file)
                await session.flush()
                files[kind][target] = file.id
        await set_tenant(session, world.a.id)
        session.add(
            RecordingGrant(
                tenant_id=world.a.id,
                recording_id=files["recording"]["in"],
                account_id=world.id("student"),
                expires_at=clock.now() + timedelta(days=1),
            )
        )
        await _seed_lesson_rows(session, world)
        keys = {}
        for target, tenant in (("in", world.a), ("other", world.b)):
            await set_tenant(session, tenant.id)
            keys[target] = (await create_key(session, tenant.id, "matrix", None))[0].id
    member = Member(world.a, world.people["admin"], frozenset())
    return Seeded(world, about, grants, member.options, files, keys)


# Rows seeded in lesson L1 for S1 and their classmate S3, and where the matrix reads them back.
SEEDED_EVENTS = {"behaviour.camera_on": "behaviour", "tool.buzzer": "tool_use"}
SEEDED_EVENTS["diagnostics.sample"] = "diagnostics"
LESSON_PEOPLE = ("student", "classmate")


async def _seed_lesson_rows(session: Any, world: World) -> None:
    """Events, attendance spans and rollups of two students of L1, so nested reads have rows."""
    await set_tenant(session, world.a.id)
    lesson, at = world.lessons["l1"], datetime(2026, 10, 1, 8, 5, tzinfo=UTC)
    for who in LESSON_PEOPLE:
        account = world.id(who)
        for kind, record_kind in SEEDED_EVENTS.items():
            session.add(
                ClassroomEvent(
                    tenant_id=world.a.id, client_id=f"matrix-{who}-{kind}", lesson_id=lesson,
                    account_id=account, at=at, kind=kind, record_kind=record_kind, data={},
                )
            )  # fmt: skip
        session.add(
            AttendanceSpan(
                tenant_id=world.a.id, lesson_id=lesson, account_id=account, joined_at=at,
                left_at=at + timedelta(minutes=30),
            )
        )  # fmt: skip
        session.add(
            LessonRollup(tenant_id=world.a.id, lesson_id=lesson, account_id=account, joins=1)
        )
    await session.flush()


def _people_reached(s: Seeded, caller: str, scopes: frozenset[str]) -> set[str]:
    """Whose rows of L1 a caller with these scopes must see, of S1 and S3."""
    if scopes & {"tenant", "taught_courses", "class_visible"}:
        return {str(s.world.id(who)) for who in LESSON_PEOPLE}
    reached = set()
    if "children" in scopes:
        reached.add(str(s.world.id("student")))  # G1's child; S3 has no guardian here
    if "self" in scopes and caller in LESSON_PEOPLE:
        reached.add(str(s.world.id(caller)))
    return reached


def _nested_rows(s: Seeded, case: Case, scopes: frozenset[str], response: Any) -> str | None:
    """The rows of a nested read of L1: exactly the people in the caller's scopes."""
    path, items = case.endpoint.path, response.json()["items"]
    if "/recordings" in path and "{id}/grants" not in path:
        ids = {str(item["id"]) for item in items}
        wanted = str(s.files["recording"]["in"])
        return None if wanted in ids else f"recording {wanted} missing"
    kind = path.partition("kind=")[2].partition("&")[0]
    if not (kind in SEEDED_EVENTS or path.endswith(("/attendance", "/rollups"))):
        return None
    users = {str(i["user"]["id"] if isinstance(i["user"], dict) else i["user"]) for i in items}
    seen = users & {str(s.world.id(who)) for who in LESSON_PEOPLE}
    wanted_people = _people_reached(s, CALLER[case.role], scopes)
    if seen != wanted_people:
        return f"rows of {sorted(seen)}, expected {sorted(wanted_people)}"
    return None


def _expected(case: Case, scopes: frozenset[str]) -> int:
    e = case.endpoint
    if case.via_other_slug:
        return 404  # not a member of school B: as if it did not exist
    if not scopes:
        return 403
    if case.target == "in" or e.mode in ("list", "export"):
        return e.ok
    return 404  # a single record, or the parent of a list, outside every scope / elsewhere


async def _call(client: httpx.AsyncClient, s: Seeded, case: Case, headers: dict[str, str]) -> Any:
    e = case.endpoint
    slug = s.world.b.slug if case.via_other_slug else s.world.a.slug
    scopes = allowed(case.role, e, s.options)
    caller = CALLER[case.role]
    record = e.records(s, caller, scopes, case.target) if e.records else None
    if "{id}" in e.path and record is None:
        # No record this role reaches in scope: ask for one that exists in the school.
        record = e.records(s, caller, frozenset({"tenant"}), "in") if e.records else None
    path = e.path.format(slug=slug, id=record)
    body = e.body(s) if e.body else None
    response = await client.request(e.method, path, headers=headers, json=body)
    return response, record


def _listed(endpoint: Endpoint, response: httpx.Response) -> set[str]:
    if endpoint.mode == "export":
        rows = json.loads(response.text)
        return {str(r.get("id")) for r in rows} | {s for r in rows for s in r.get("subjects", [])}
    items = response.json()["items"]
    return {str(item.get(endpoint.item_key)) for item in items}


@cross_school  # also as the owner: the code's own tenant predicates, without RLS
@pytest.mark.parametrize("role", list(Role))
async def test_matrix(client, login, owner, schools, role: Role):
    seeded = await _seed(owner, schools)
    options = seeded.options
    headers = await login(PHONES[CALLER[role]])
    failures: list[str] = []
    cases = cases_for(role, options)
    for case in cases:
        scopes = allowed(role, case.endpoint, options)
        expected = _expected(case, scopes)
        response, record = await _call(client, seeded, case, headers)
        if response.status_code != expected:
            failures.append(
                f"{case.name}: {response.status_code} != {expected} {response.text[:120]}"
            )
            continue
        if case.endpoint.mode == "nested" and expected == 200 and case.target == "in":
            problem = _nested_rows(seeded, case, scopes, response)
            if problem is not None:
                failures.append(f"{case.name}: {problem}")
        if case.endpoint.mode in ("list", "export") and expected == 200 and record is not None:
            present = str(record) in _listed(case.endpoint, response)
            if present != (case.target == "in"):
                failures.append(f"{case.name}: record {'missing' if not present else 'leaked'}")
    print(f"\nauthz matrix [{role}]: {len(cases)} cases, {len(failures)} wrong")
    assert not failures, "\n".join(failures)
