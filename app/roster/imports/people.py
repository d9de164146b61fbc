"""The import's people: numbers read, each person resolved against the school's memberships,
checked (role, guardian of an under-14), then registered, updated or retired."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

from app.core.ids import new_id
from app.core.phones import InvalidPhone, normalize
from app.core.vocabulary import Role
from app.roster.imports import rows
from app.roster.imports.plan import (
    DELETED_REASON,
    IMPORT_REASON,
    LIVE,
    RETIRED_REASONS,
    ROLE_REASON,
    Planning,
)
from app.roster.imports.repository import MembershipState
from app.roster.imports.rosterfile import PersonRow, age_band

Person = tuple[PersonRow, str | None]


def normalise_people(p: Planning) -> list[Person]:
    """Each person with their E.164 number (None for a deletion without a number)."""
    people = list(p.roster.people)
    if not p.oneroster:
        people += _guardians_named_only_by_phone(people)
    out: list[Person] = []
    seen: dict[str, int] = {}
    column = "sms" if p.oneroster else "phone"
    for person in people:
        if not person.phone:
            out.append((person, None))
            continue
        try:
            e164 = normalize(person.phone, p.region)
        except InvalidPhone as exc:
            p.error(p.users_file, person.line, column, f"{person.phone!r}: {exc}")
            p.rejected.add(person.source_id)
            continue
        if person.status == "active":
            if e164 in seen:
                message = f"phone {e164} is already used on line {seen[e164]}"
                p.error(p.users_file, person.line, column, message)
                p.rejected.add(person.source_id)
                continue
            seen[e164] = person.line
        out.append((person, e164))
    return out


def _guardians_named_only_by_phone(people: list[PersonRow]) -> list[PersonRow]:
    known = {p.source_id for p in people}
    extra: dict[str, PersonRow] = {}
    for person in people:
        for key in person.guardian_source_ids:
            if key not in known and key not in extra:
                extra[key] = PersonRow(key, key, "", "guardian", line=person.line)
    return list(extra.values())


@dataclass
class _School:
    """What the school has, indexed; grows as the plan registers people of the file."""

    hashes: dict[str, str]  # E.164 -> phone hash
    accounts: dict[str, uuid.UUID]  # phone hash -> account id
    by_key: dict[tuple[uuid.UUID, str], MembershipState]
    by_source: dict[str, list[MembershipState]]  # one membership per role held
    guardian_sources: set[str]  # sourcedIds the school already holds as a guardian
    file_roles: dict[str, list[str]]  # the file's people: sourcedId -> roles
    # roster.csv: a learner without a phone is known by (guardian's account, name).
    learners: dict[tuple[uuid.UUID, str], uuid.UUID]
    e164_of: dict[str, str]  # the file's people with a number: source id -> E.164


def plan_people(
    p: Planning,
    people: list[Person],
    hashes: dict[str, str],
    accounts: dict[str, uuid.UUID],
    existing: list[MembershipState],
) -> None:
    by_source: dict[str, list[MembershipState]] = {}
    for m in existing:
        if m.source_id:
            by_source.setdefault(m.source_id, []).append(m)
    school = _School(
        hashes,
        accounts,
        by_key={(m.account_id, m.role): m for m in existing},
        by_source=by_source,
        guardian_sources={
            m.source_id
            for m in existing
            if m.source_id and m.role == Role.GUARDIAN and m.status in LIVE
        },
        file_roles={person.source_id: list(person.roles) for person, _ in people},
        learners=_learners_without_phone(p, existing),
        e164_of={person.source_id: e164 for person, e164 in people if e164},
    )
    in_file: set[str] = set()
    for person, e164 in people:
        in_file.add(person.source_id)
        _plan_person(p, school, person, e164)
    _apply_birth_dates(p, school)
    if p.retires_missing("users.csv"):
        for m in existing:
            if (
                m.source_id
                and m.source_id not in in_file
                and not p.in_file("users.csv", m.source_id)
                and m.status in LIVE
                and m.role != Role.SCHOOL_ADMIN
            ):
                p.retire("people", m.source_id, f"{m.role}, {IMPORT_REASON}")
                p.membership_update(m, status="inactive", status_reason=IMPORT_REASON)


def _plan_person(p: Planning, school: _School, person: PersonRow, e164: str | None) -> None:
    account_id = _account(p, school, person, e164)
    sourced = school.by_source.get(person.source_id, []) if p.oneroster else []
    if person.status == "tobedeleted":
        held = [school.by_key.get((account_id, role)) for role in person.roles if account_id]
        for m in {m.id: m for m in [*sourced, *held] if m is not None}.values():
            if m.status in LIVE and m.role != Role.SCHOOL_ADMIN:
                p.retire("people", m.source_id, f"{m.role}, {DELETED_REASON}")
                p.membership_update(m, status="inactive", status_reason=DELETED_REASON)
        return
    if person.role is None:  # a delta's changed user without a roles.csv row
        if not sourced:
            message = "no role for this user, and the school does not know them"
            p.error(p.users_file, person.line, "sourcedId", message)
        for m in sourced:
            _update(p, person, m, None)
        return
    if "student" in person.roles and (problem := _student_problem(p, school, person)):
        column = "agentSourcedIds" if p.oneroster else "guardian_phone"
        p.error(p.users_file, person.line, column, problem)
        p.rejected.add(person.source_id)
        return
    _retire_other_roles(p, person, sourced)
    if e164 and account_id in p.without_phone:
        _give_own_phone(p, school, account_id, e164, person.line)
    for role in person.roles:
        as_role = replace(person, role=role, other_roles=[])
        found = school.by_key.get((account_id, role)) if account_id else None
        if found is None:
            account_id = _register(p, school, as_role, e164, account_id, p.age_band_of(as_role))
        else:
            _update(p, as_role, found, p.age_band_of(as_role))


def _student_problem(p: Planning, school: _School, person: PersonRow) -> str | None:
    """An agent who is no guardian, or an under-14 without one (MIN-1)."""
    if problem := _agent_problem(school, person):
        return problem
    band = p.age_band_of(replace(person, role="student"))
    guardians = [g for g in person.guardian_source_ids if g not in p.rejected]
    if band == "under14" and person.guardian_source_ids and not guardians:
        return (
            f"a student under 14 needs a guardian: {', '.join(person.guardian_source_ids)} in error"
        )
    if band == "under14" and not guardians:
        return (
            "a student under 14 needs a guardian (the age band comes from birthDate, "
            "else default_age_band, else under 14 is assumed)"
        )
    return None


def _apply_birth_dates(p: Planning, school: _School) -> None:
    """A delta's demographics row for a student the school knows sets their age band; one
    that makes them under 14 needs their guardian sent with them in users.csv."""
    today = p.now.date()
    for source_id, (line, born) in p.roster.birth_dates.items():
        held = school.by_source.get(source_id, [])
        if not held:
            p.error("demographics.csv", line, "sourcedId", f"unknown user {source_id!r}")
            continue
        found = next((m for m in held if m.role == Role.STUDENT), held[0])
        band = age_band(born, today)
        if found.role != Role.STUDENT or found.age_band == band:
            p.plan.people.unchanged += 1
        elif band == "under14":
            message = (
                "this birthDate makes the student under 14: send them in users.csv with "
                "their guardian (agentSourcedIds)"
            )
            p.error("demographics.csv", line, "birthDate", message)
        else:
            p.plan.people.updated += 1
            p.membership_update(found, age_band=band)


def is_guardian(school: _School, source_id: str) -> bool:
    """A parent, guardian or relative, in the file (its roles decide) or already at the school."""
    roles = school.file_roles.get(source_id)
    if roles:
        return Role.GUARDIAN in roles
    return source_id in school.guardian_sources


def _agent_problem(school: _School, person: PersonRow) -> str | None:
    """Only a parent, guardian or relative may be a student's guardian (the under-14 consent
    rests on them): any other agent makes the student's row an error."""
    for agent in person.guardian_source_ids:
        if not is_guardian(school, agent):
            roles = school.file_roles.get(agent)
            held = f"a {' and '.join(roles)}" if roles else "not a guardian the school knows"
            return (
                f"agent {agent!r} is {held}: only a parent, guardian or relative can be "
                "a student's guardian"
            )
    return None


def _account(p: Planning, school: _School, person: PersonRow, e164: str | None) -> uuid.UUID | None:
    """The person's account: by number, else by the sourcedId the school holds them under."""
    account_id = school.accounts.get(school.hashes[e164]) if e164 else None
    sourced = school.by_source.get(person.source_id) if p.oneroster else None
    if account_id is None and sourced:
        account_id = sourced[0].account_id
    if account_id is None and not p.oneroster and e164 is None and "student" in person.roles:
        account_id = _learner_account(school, person)
    if account_id is not None:
        p.account_of[person.source_id] = account_id
    return account_id


def _learners_without_phone(
    p: Planning, existing: list[MembershipState]
) -> dict[tuple[uuid.UUID, str], uuid.UUID]:
    """The school's learners without a phone by (guardian's account, name): how roster.csv,
    which has no ids, names them again."""
    if p.oneroster or not p.without_phone:
        return {}
    names = {
        m.account_id: m.display_name
        for m in existing
        if m.role == Role.STUDENT and m.account_id in p.without_phone and m.display_name
    }
    return {(g, names[s]): s for g, s in p.guardianships if s in names}


def _learner_account(school: _School, person: PersonRow) -> uuid.UUID | None:
    """roster.csv's learner without a phone, as the school holds them under a guardian."""
    for ref in person.guardian_source_ids:
        e164 = school.e164_of.get(ref)
        guardian = school.accounts.get(school.hashes[e164]) if e164 else None
        found = school.learners.get((guardian, person.display_name)) if guardian else None
        if found is not None:
            return found
    return None


def _retire_other_roles(p: Planning, person: PersonRow, sourced: list[MembershipState]) -> None:
    """A sourcedId holds the file's roles here: a role it no longer lists ends, so a teacher
    listed only as a student loses the teacher's access now (an admin's membership is the
    school's own and stays)."""
    for m in sourced:
        if m.role in person.roles or m.role == Role.SCHOOL_ADMIN:
            continue
        retire: dict[str, Any] = {"source_id": None}
        if m.status in LIVE:
            p.retire("people", m.source_id, f"{m.role}, {ROLE_REASON}")
            retire |= {"status": "inactive", "status_reason": ROLE_REASON}
        p.membership_update(m, **retire)


def _register(
    p: Planning,
    school: _School,
    person: PersonRow,
    e164: str | None,
    account_id: uuid.UUID | None,
    band: str | None,
) -> uuid.UUID:
    """A new membership (and account if the number is new) with the school's attestation;
    returns the account."""
    assert person.role is not None
    if account_id is None:  # a new number, or a learner registered under a guardian's
        digest = school.hashes[e164] if e164 else None
        account_id = new_id()
        if digest is not None:
            school.accounts[digest] = account_id
        p.writes.accounts.append(
            rows.account_row(p.keys, account_id, digest, e164, person.display_name, p.now)
        )
    p.account_of[person.source_id] = account_id
    p.plan.people.created += 1
    membership = rows.membership_row(
        p.tenant.id,
        account_id,
        person.role,
        age_band=band,
        name=person.display_name,
        source_id=person.source_id if p.oneroster else None,
        registered_by=p.actor_id,
        now=p.now,
        oneroster=_kept(p, person, None),
    )
    p.writes.memberships.append(membership)
    school.by_key[(account_id, person.role)] = MembershipState(
        membership["id"], account_id, person.role, "pending", None, None, band, None
    )
    attested = rows.attestation_row(
        membership,
        under14=band == "under14",
        notice_version=p.tenant.notice_version,
        attested_by=p.actor_id,
    )
    if person.role == "student" or person.source_id not in p.attestation_of:
        p.attestation_of[person.source_id] = attested
    p.writes.attestations.append(attested)
    p.writes.subjects.add(account_id)
    return account_id


def _update(p: Planning, person: PersonRow, found: MembershipState, band: str | None) -> None:
    """The file's name, age band and sourcedId; a membership the import retired comes back."""
    changes: dict[str, Any] = {}
    if person.display_name and found.display_name != person.display_name:
        changes["display_name"] = person.display_name
    if band and found.age_band != band and person.role == "student":
        changes["age_band"] = band
    if p.oneroster and found.source_id != person.source_id:
        changes["source_id"] = person.source_id
    if p.oneroster and person.role is not None:
        wanted = _kept(p, person, found.oneroster)
        if _unsealed(p, wanted) != _unsealed(p, found.oneroster):
            changes["oneroster"] = wanted
    if found.status == "inactive" and (found.status_reason or "") in RETIRED_REASONS:
        changes |= {"status": "pending", "status_reason": None}
    if changes:
        p.plan.people.updated += 1
        p.membership_update(found, **changes)
    else:
        p.plan.people.unchanged += 1


def _kept(p: Planning, person: PersonRow, before: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the file says of the person in this role that Rostra keeps only to give back:
    users.csv's fields, the role's row, demographics, and a second phone sealed like the
    first (an unchanged one keeps its old seal, so a second import changes nothing)."""
    if not p.oneroster or not person.oneroster:
        return None
    source = person.oneroster
    out: dict[str, Any] = {
        k: source[k] for k in ("user", "demographics", "phone_column") if k in source
    }
    if role_row := source.get("roles", {}).get(person.role):
        out["role"] = role_row
    for key, file in (("role", "roles.csv"), ("demographics", "demographics.csv")):
        if key not in out and before and key in before and not p.bulk(file):
            out[key] = before[key]  # a delta without that row leaves it as it was
    if second := source.get("phone"):
        sealed = (before or {}).get("phone_enc")
        same = sealed and p.keys.phone_cipher.decrypt(sealed) == second
        out["phone_enc"] = sealed if same else p.keys.phone_cipher.encrypt(second)
    return out or None


def _unsealed(p: Planning, kept: dict[str, Any] | None) -> dict[str, Any] | None:
    if not kept or "phone_enc" not in kept:
        return kept
    return {**kept, "phone_enc": p.keys.phone_cipher.decrypt(kept["phone_enc"])}


def _give_own_phone(
    p: Planning, school: _School, account_id: uuid.UUID, e164: str, line: int
) -> None:
    """A learner registered without a phone now has one in the file: they sign in with it,
    on the same account (their records, consents and guardians stay)."""
    digest = school.hashes[e164]
    if school.accounts.get(digest) not in (None, account_id):
        return  # the guardian's number (a family phone) or another's: they stay as they are
    school.accounts[digest] = account_id
    p.without_phone.discard(account_id)
    p.writes.account_phones.append({
        "id": account_id, "phone_hash": digest,
        "phone_enc": p.keys.phone_cipher.encrypt(e164), "phone_masked": rows.fast_mask(e164),
    })  # fmt: skip
    p.writes.subjects.add(account_id)
    p.plan.notices.append(f"line {line}: a learner without a phone gets their own number")
