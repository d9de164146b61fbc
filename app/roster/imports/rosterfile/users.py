"""OneRoster's people: users, their roles (1.2 roles.csv, 1.1 users.csv), birth dates, and
the checks that need them all (a usable role, guardians, age bands)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from app.roster.imports.rosterfile.reader import OneRosterReader
from app.roster.imports.rosterfile.reading import (
    _split_list,
    _too_long,
    display_name,
    parse_date,
    phone_key,
)
from app.roster.imports.rosterfile.rows import (
    AGE_BAND_COLUMN,
    AGE_BANDS,
    KEPT_DEMOGRAPHICS,
    KEPT_ROLE,
    KEPT_USER,
    PERSON_ROLE_BY_ONEROSTER,
    PersonRole,
    PersonRow,
    age_band,
)


def read_users(r: OneRosterReader) -> None:
    file = "users.csv"
    table = r.tables.get(file)
    if table is not None and table.rows and not {"sms", "phone"} & table.columns:
        r.error(file, 1, "sms", "required column 'sms' (or 'phone') is missing")
        return
    for line, row, status in r.records(file):
        if _elsewhere(r, row):
            r.not_this_school(file)
            continue
        column = "sms" if row["sms"] else "phone"
        phone = row[column]
        key = phone_key(phone)
        given = row["preferredGivenName"] or row["givenName"]
        name = display_name(given, row["preferredFamilyName"] or row["familyName"])
        active = status == "active"
        problems: list[tuple[str, str | None]] = []
        if active and not name:
            problems.append(("givenName", "a name is required (givenName or familyName)"))
        else:
            problems.append(("givenName", _too_long(name, "display_name")))
        if phone and key is None:
            problems.append((column, f"{phone!r} is not a phone number"))
        if r.report(file, line, problems):
            continue
        r.people[row["sourcedId"]] = PersonRow(
            source_id=row["sourcedId"],
            phone=phone,
            display_name=name,
            role=None,
            age_band=AGE_BANDS.get(row[AGE_BAND_COLUMN]),
            guardian_source_ids=_split_list(row["agentSourcedIds"]),
            status=status,
            line=line,
            oneroster=_user_kept(r, row, column),
        )
        r.person_lines[row["sourcedId"]] = line
        r.phone_columns[row["sourcedId"]] = column
        if r.out.version == "1.1" and active:
            _user_role_1_1(r, row)


def _user_kept(r: OneRosterReader, row: dict[str, str], column: str) -> dict[str, Any]:
    """users.csv's fields to give back; the second phone is sealed by the caller."""
    out: dict[str, Any] = {"user": r.kept("users.csv", row, KEPT_USER)}
    if column == "phone":
        out["phone_column"] = "phone"
    elif row["phone"]:
        out["phone"] = row["phone"]
    return out


def _elsewhere(r: OneRosterReader, row: dict[str, str]) -> bool:
    """A user of other orgs only (1.1: by orgSourcedIds; 1.2: by their roles)."""
    if r.out.version == "1.1":
        orgs = _split_list(row["orgSourcedIds"])
        return bool(orgs) and bool(r.orgs) and not r.orgs.intersection(orgs)
    return row["sourcedId"] in r.theirs


def _user_role_1_1(r: OneRosterReader, row: dict[str, str]) -> None:
    """OneRoster 1.1 names the role and the orgs in users.csv itself."""
    user_id = row["sourcedId"]
    role = PERSON_ROLE_BY_ONEROSTER.get(row["role"])
    if role is None:
        r.unmapped_roles.setdefault(user_id, []).append(row["role"])
    else:
        r.people[user_id].role = role


def read_roles(r: OneRosterReader) -> None:
    file = "roles.csv"
    outside = 0
    for line, row, status in r.records(file):
        org_id, user_id = row["orgSourcedId"], row["userSourcedId"]
        if not r.ours_org(org_id):
            if r.reference("orgs.csv", org_id, ()) == "unknown":
                r.error(file, line, "orgSourcedId", f"unknown org {org_id!r}")
            else:
                r.not_this_school(file)
            continue
        user = r.reference("users.csv", user_id, r.people)
        if user == "unknown":
            r.error(file, line, "userSourcedId", f"unknown user {user_id!r}")
        elif user == "outside":
            outside += 1
        if user != "accepted" or status == "tobedeleted":
            continue
        role = PERSON_ROLE_BY_ONEROSTER.get(row["role"])
        if role is None:
            r.unmapped_roles.setdefault(user_id, []).append(row["role"])
            continue
        _add_role(r, r.people[user_id], role, primary=row["roleType"] == "primary")
        r.people[user_id].oneroster.setdefault("roles", {})[role] = r.kept(file, row, KEPT_ROLE)
    if outside:
        r.out.notices.append(f"ignored {outside} roles of users not in users.csv")


def _add_role(r: OneRosterReader, person: PersonRow, role: PersonRole, *, primary: bool) -> None:
    """Each role at the school is kept; the first primary one (else the first) leads."""
    if role in person.roles:
        return
    if person.role is None:
        person.role = role
    elif primary and person.source_id not in r.primary_role:
        person.other_roles.insert(0, person.role)
        person.role = role
    else:
        person.other_roles.append(role)
    if primary:
        r.primary_role.add(person.source_id)


def read_demographics(r: OneRosterReader) -> None:
    """Birth dates and what else a row says (sex, race, birthplace, extensions), with or
    without a birth date; in a delta, the birth date of a user not in users.csv is kept for
    the school's own record of them (`birth_dates`)."""
    file = "demographics.csv"
    for line, row, _status in r.records(file):
        user_id = row["sourcedId"]
        user = r.reference("users.csv", user_id, r.people)
        if user == "unknown":
            r.error(file, line, "sourcedId", f"unknown user {user_id!r}")
        if user not in ("accepted", "outside"):
            continue
        column = "birthDate" if row["birthDate"] or r.out.version != "1.1" else "birthdate"
        born = parse_date(row[column]) if row[column] else None
        if row[column] and born is None:
            message = f"{column} must be a date as YYYY-MM-DD, not {row[column]!r}"
            r.error(file, line, column, message)
        elif born is not None and user == "outside":
            r.out.birth_dates[user_id] = (line, born)
        elif born is not None:
            r.people[user_id].birth_date = born
        if user == "accepted":
            demographics = r.kept(file, row, KEPT_DEMOGRAPHICS)
            demographics.pop("birthDate", None)
            if born is not None:
                demographics["birthDate"] = born.isoformat()
            r.people[user_id].oneroster["demographics"] = demographics


def settle_people(r: OneRosterReader) -> None:
    """Drop people without a usable role, then check guardians and age bands."""
    roles_are_bulk = r.out.mode.get("roles.csv") == "bulk"
    skipped: Counter[str] = Counter()
    if r.out.version == "1.1":  # the role is a users.csv column
        roles_are_bulk = r.out.mode.get("users.csv") == "bulk"
    kept_roles: Counter[str] = Counter()  # roles skipped of people imported in another role
    for source_id, person in list(r.people.items()):
        unmapped = r.unmapped_roles.get(source_id, [])
        if person.role is not None:
            kept_roles.update(unmapped)
            continue
        if unmapped:
            skipped[unmapped[0]] += 1
        elif roles_are_bulk:
            skipped[""] += 1
        else:
            continue
        del r.people[source_id]
    for role, count in sorted(skipped.items()):
        held = "no role" if role == "" else f"role {role!r}"
        r.out.notices.append(
            f"skipped {count} users with {held} at the school: only administrators, teachers, "
            "aides, students and parents/guardians/relatives are imported"
        )
    for role, count in sorted(kept_roles.items()):
        r.out.notices.append(
            f"skipped {count} roles {role!r} of users imported in their other roles: "
            "Rostra has no use for it"
        )
    _settle_phones(r)
    for source_id, person in list(r.people.items()):
        line = r.person_lines[source_id]
        if person.role is not None and "student" not in person.roles:
            person.guardian_source_ids = []
        problem = None
        kept = []
        for agent in person.guardian_source_ids:
            found = r.reference("users.csv", agent, r.people)
            if found == "unknown":
                problem = f"unknown guardian {agent!r}"
            elif found == "rejected":
                message = f"the link to guardian {agent!r} is skipped: that row is in error"
                r.dependent("users.csv", line, "agentSourcedIds", message)
            else:
                kept.append(agent)
        person.guardian_source_ids = kept
        if r.today is not None and person.birth_date is not None:
            person.age_band = age_band(person.birth_date, r.today)
            if (
                "student" in person.roles
                and person.status == "active"
                and person.age_band == "under14"
                and not kept
            ):
                problem = problem or "a student under 14 needs a guardian (agentSourcedIds)"
        if problem:
            r.error("users.csv", line, "agentSourcedIds", problem)
            del r.people[source_id]


def _settle_phones(r: OneRosterReader) -> None:
    """One number, one person who signs in with it. A student with a guardian may have none
    of their own, or share their guardian's (a family phone): they are registered under
    the guardian's number, a person of their own without a login. Anyone else needs a
    number, and a number two others share is a row error naming both rows."""
    holders: dict[str, list[str]] = {}
    for source_id, person in list(r.people.items()):
        if person.status != "active" or person.role is None:
            continue
        key = phone_key(person.phone) if person.phone else None
        if key is None and not _under_a_guardian(person):
            message = (
                "a phone number is required (sms or phone); only a student with a guardian "
                "(agentSourcedIds) may have none"
            )
            r.error("users.csv", r.person_lines[source_id], "sms", message)
            del r.people[source_id]
        elif key is not None:
            holders.setdefault(key, []).append(source_id)
    shared = 0
    for ids in holders.values():
        for source_id in ids if len(ids) > 1 else ():
            person = r.people[source_id]
            if _under_a_guardian(person) and set(person.guardian_source_ids) & set(ids):
                person.phone, shared = "", shared + 1
        keeping = [i for i in ids if r.people[i].phone]
        for source_id in keeping[1:]:
            first, line = r.person_lines[keeping[0]], r.person_lines[source_id]
            message = f"phone {r.people[source_id].phone} is already used on line {first}"
            r.error("users.csv", line, r.phone_columns[source_id], message)
            del r.people[source_id]
    if shared:
        r.out.notices.append(
            f"{shared} students share their guardian's phone: each is registered under it "
            "as a person of their own, without a login until they get their own number"
        )


def _under_a_guardian(person: PersonRow) -> bool:
    return person.roles == ["student"] and bool(person.guardian_source_ids)
