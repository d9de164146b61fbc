"""The whole school's roster as a OneRoster 1.2 bulk zip or a `roster.csv` (both formats the
import reads back)."""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from datetime import date
from typing import Any, Literal, cast

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock, csvout
from app.core.security import Keys
from app.core.vocabulary import Role
from app.roster.imports import repository as store
from app.roster.imports.rosterfile import (
    METADATA_PREFIX,
    AgeBand,
    CourseRow,
    EnrollmentRole,
    EnrollmentRow,
    OrgRow,
    PersonRole,
    PersonRow,
    SessionRow,
    write_oneroster,
)
from app.tenancy.models import Tenant

# A person with several roles is exported once, in the role that says most about them.
ROLE_ORDER = (Role.TEACHER, Role.ASSISTANT, Role.STUDENT, Role.GUARDIAN)


ExportFormat = Literal["oneroster", "csv"]
SIMPLE_COLUMNS = ("phone", "name", "role", "course_code", "age_band", "guardian_phone")


async def export_roster(
    session: AsyncSession, keys: Keys, tenant: Tenant, fmt: ExportFormat = "oneroster"
) -> tuple[bytes, list[uuid.UUID]]:
    """The file, and the accounts it names (for the audit entry)."""
    source = await store.roster_source(session, tenant.id)
    school = store.org_row(source, tenant.name) if source else OrgRow(tenant.slug, tenant.name)
    courses = [c for c in await store.courses(session, tenant.id) if c.status == "active"]
    courses.sort(key=lambda c: c.source_id or str(c.id))
    terms, course_rows = _terms_and_courses(school, courses)
    held = await _roles(session, tenant)
    chosen = {a: ms[0] for a, ms in held.items()}
    person_id = {a: m.source_id or str(m.id) for a, m in chosen.items()}
    people = await _person_rows(session, keys, tenant, held, person_id)
    people.sort(key=lambda p: p.source_id)
    course_source = {c.id: c.source_id or str(c.id) for c in courses}
    enrollment_rows = sorted(
        (
            EnrollmentRow(
                e.source_id or str(e.id),
                course_source[e.course_id],
                person_id[e.account_id],
                cast(EnrollmentRole, e.role),
                oneroster=e.oneroster or {},
            )
            for e in await store.enrollments(session, tenant.id)
            if e.status == "active" and e.course_id in course_source and e.account_id in person_id
        ),
        key=lambda e: e.source_id,
    )
    # Building the file is CPU work: a worker thread, so other requests go on meanwhile.
    if fmt == "csv":
        data = await anyio.to_thread.run_sync(_simple_csv, course_rows, people, enrollment_rows)
        return data, list(chosen)
    data = await anyio.to_thread.run_sync(
        functools.partial(
            write_oneroster, school, terms, course_rows, people, enrollment_rows,
            modified_at=clock.now(),
        )
    )  # fmt: skip
    return data, list(chosen)


def _simple_csv(
    courses: list[CourseRow], people: list[PersonRow], enrollments: list[EnrollmentRow]
) -> bytes:
    """`roster.csv`: one row per person and course (a person in none: one row without).

    A student's guardians go one per row, as the import gathers them, a further one on a row
    without course_code. A learner without a phone has an empty phone and names the guardian
    they are registered under on each course row, the others on rows right after.
    """
    code_of = {c.source_id: c.code for c in courses}
    phone_of = {p.source_id: p.phone for p in people}
    codes: defaultdict[str, list[str]] = defaultdict(list)
    for e in enrollments:
        codes[e.person_source_id].append(code_of.get(e.course_source_id or "", ""))
    rows = []
    for p in people:
        guardians = [phone_of[g] for g in p.guardian_source_ids if phone_of.get(g)]
        learner_codes = sorted(codes[p.source_id]) or [""]
        if p.phone:
            cells = [
                (code, guardians[n] if n < len(guardians) else "")
                for n, code in enumerate(learner_codes)
            ]
            cells += [("", g) for g in guardians[len(learner_codes) :]]
        else:  # a learner without a phone: known by name and their first guardian
            cells = [(code, guardians[0] if guardians else "") for code in learner_codes]
            cells += [("", g) for g in guardians[1:]]
        for code, guardian in cells:
            rows.append({
                "phone": p.phone, "name": p.display_name, "role": p.role,
                "course_code": code, "age_band": p.age_band or "", "guardian_phone": guardian,
            })  # fmt: skip
    return csvout.render(SIMPLE_COLUMNS, rows).encode("utf-8")


def _terms_and_courses(
    school: OrgRow, courses: list[store.CourseState]
) -> tuple[list[SessionRow], list[CourseRow]]:
    """The imported terms of each course as the file named them; for a course made in Rostra,
    one term per distinct (name, dates), numbered in course order. Each course's row."""
    terms: dict[str, SessionRow] = {}
    made: dict[tuple[str, object, object], str] = {}
    course_rows: list[CourseRow] = []
    for c in courses:
        kept_terms = (c.oneroster or {}).get("terms") or []
        for t in kept_terms:
            terms.setdefault(t["sourcedId"], _kept_term(t))
        if kept_terms:
            term_id = kept_terms[0]["sourcedId"]
        else:
            key = (c.term or "", c.starts_on, c.ends_on)
            if key not in made:
                made[key] = f"{school.source_id}-term-{len(made) + 1}"
                terms.setdefault(
                    made[key], SessionRow(made[key], c.term or "", c.starts_on, c.ends_on)
                )
            term_id = made[key]
        course_rows.append(
            CourseRow(
                c.source_id or str(c.id),
                c.code,
                c.name,
                c.subject,
                term_id,
                c.term,
                c.starts_on,
                c.ends_on,
                oneroster=c.oneroster or {},
            )
        )
    return list(terms.values()), course_rows


def _kept_term(t: dict[str, str]) -> SessionRow:
    return SessionRow(
        t["sourcedId"],
        t.get("title", ""),
        date.fromisoformat(t["startDate"]),
        date.fromisoformat(t["endDate"]),
        type=t.get("type") or "term",
        school_year=t.get("schoolYear", ""),
        parent_source_id=t.get("parentSourcedId", ""),
        metadata={k: v for k, v in t.items() if k.startswith(METADATA_PREFIX)},
    )


async def _roles(
    session: AsyncSession, tenant: Tenant
) -> dict[uuid.UUID, list[store.MembershipState]]:
    """Each live person's memberships, the one that says most about them first (a school
    admin's membership is the school's own: not exported)."""
    held: defaultdict[uuid.UUID, list[store.MembershipState]] = defaultdict(list)
    for m in await store.memberships(session, tenant.id):
        if m.status in ("pending", "active") and m.role in ROLE_ORDER:
            held[m.account_id].append(m)
    return {a: sorted(ms, key=lambda m: ROLE_ORDER.index(m.role)) for a, ms in held.items()}


async def _person_rows(
    session: AsyncSession,
    keys: Keys,
    tenant: Tenant,
    held: dict[uuid.UUID, list[store.MembershipState]],
    person_id: dict[uuid.UUID, str],
) -> list[PersonRow]:
    """One row per person with every role they hold; agents kept whatever else the
    guardian is."""
    phones = await store.phones_and_names(session, keys, list(held))
    roles = {a: [cast(PersonRole, m.role) for m in ms] for a, ms in held.items()}
    guardians: defaultdict[uuid.UUID, list[str]] = defaultdict(list)
    for guardian, student in sorted(await store.guardianships(session, tenant.id)):
        if "guardian" in roles.get(guardian, ()) and "student" in roles.get(student, ()):
            guardians[student].append(person_id[guardian])
    out = []
    for a, ms in held.items():
        learner = next((m for m in ms if m.role == Role.STUDENT), None)
        kept = _kept_person(keys, ms)
        born = kept.get("demographics", {}).get("birthDate")
        out.append(
            PersonRow(
                person_id[a],
                phones[a][0],
                ms[0].display_name or phones[a][1] or "",
                roles[a][0],
                birth_date=date.fromisoformat(born) if born else None,
                age_band=cast(AgeBand, learner.age_band) if learner else None,
                guardian_source_ids=guardians.get(a, []) if learner else [],
                other_roles=roles[a][1:],
                oneroster=kept,
            )
        )
    return out


def _kept_person(keys: Keys, held: list[store.MembershipState]) -> dict[str, Any]:
    """What the import kept of the person (the leading membership's), each role's row, and
    the second phone unsealed for the file."""
    first = dict(held[0].oneroster or {})
    sealed = first.pop("phone_enc", None)
    if sealed:
        first["phone"] = keys.phone_cipher.decrypt(sealed)
    first.pop("role", None)
    roles = {m.role: m.oneroster["role"] for m in held if m.oneroster and "role" in m.oneroster}
    if roles:
        first["roles"] = roles
    return first
