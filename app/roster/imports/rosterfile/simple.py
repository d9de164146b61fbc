"""`roster.csv`: one sheet, one row per person and course."""

from __future__ import annotations

from app.roster.imports.rosterfile.reading import (
    _too_long,
    phone_key,
    read_table,
)
from app.roster.imports.rosterfile.rows import (
    AGE_BANDS,
    ENROLLMENT_ROLE_BY_PERSON_ROLE,
    PERSON_ROLES,
    SIMPLE_CSV_NAME,
    EnrollmentRow,
    PersonRow,
    RosterFile,
    RowError,
)

# --- roster.csv: one sheet, one row per person and course ---------------------------------

SIMPLE_COLUMNS = ("phone", "name", "role", "course_code", "age_band", "guardian_phone")
SIMPLE_REQUIRED = ("phone", "name", "role")
# The in-file key of a learner without a phone: the guardian's number and the name.
NO_PHONE_KEY = "nophone:"


def parse_simple_csv(data: bytes) -> RosterFile:
    """Read `roster.csv`: phone,name,role,course_code,age_band[,guardian_phone].

    A person in several courses has one row per course, each with the same name and role;
    a further guardian goes on a row of its own without course_code. A student registered
    under a guardian's number has no phone: such a learner is known by name and
    guardian_phone, and a further guardian of theirs goes on a row right after theirs.
    """
    file = SIMPLE_CSV_NAME
    out = RosterFile(kind="csv", mode={file: "bulk"})
    table = read_table(file, data, SIMPLE_COLUMNS, SIMPLE_REQUIRED, out.errors, fold_case=True)
    people: dict[str, tuple[int, PersonRow, set[str]]] = {}
    previous = ""  # the key of the row before, to follow a learner without a phone
    for line, row in table.rows:
        problems = _simple_row_problems(row)
        name, code = " ".join(row["name"].split()), row["course_code"]
        guardian = phone_key(row["guardian_phone"]) if row["guardian_phone"] else None
        key = phone_key(row["phone"]) or _learner_key(people, previous, name, code, guardian)
        previous = key
        role, band = PERSON_ROLES.get(row["role"].lower()), AGE_BANDS.get(row["age_band"])
        seen = people.get(key)
        if seen is not None and not problems:
            first_line, person, codes = seen
            if (person.role, person.display_name, person.age_band) != (role, name, band):
                message = f"another name, role or age_band for this phone on line {first_line}"
                problems.append(("phone", message))
            elif code in codes and (code or not guardian or guardian in person.guardian_source_ids):
                message = f"this phone and course_code {code!r} are already on line {first_line}"
                problems.append(("phone", message))
        for column, message in problems:
            out.errors.append(RowError(file, line, column, message))
        if problems or role is None:
            continue
        if seen is None:
            person = PersonRow(key, row["phone"], name, role, age_band=band, line=line)
            seen = people[key] = (line, person, set())
            out.people.append(person)
        if guardian and guardian not in seen[1].guardian_source_ids:
            seen[1].guardian_source_ids.append(guardian)
        seen[2].add(code)
        enrollment_role = ENROLLMENT_ROLE_BY_PERSON_ROLE.get(role)
        if code and enrollment_role:
            out.enrollments.append(
                EnrollmentRow(
                    f"{key}:{code}", None, key, enrollment_role, course_code=code, line=line
                )
            )
    return out


def _learner_key(
    people: dict[str, tuple[int, PersonRow, set[str]]],
    previous: str,
    name: str,
    code: str,
    guardian: str | None,
) -> str:
    """A learner without a phone: by name under this guardian's number, else (a further
    guardian's row, without course_code) the same learner as the row before."""
    key = f"{NO_PHONE_KEY}{guardian or ''}:{name}"
    before = people.get(previous)
    if (
        key not in people
        and not code
        and previous.startswith(NO_PHONE_KEY)
        and before is not None
        and before[1].display_name == name
    ):
        return previous
    return key


def _simple_row_problems(row: dict[str, str]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str | None]] = []
    phone, guardian_phone = row["phone"], row["guardian_phone"]
    key = phone_key(phone)
    role = PERSON_ROLES.get(row["role"].lower())
    if not phone and (role != "student" or not guardian_phone):
        message = "a phone number is required; only a student with guardian_phone may have none"
        problems.append(("phone", message))
    elif phone and key is None:
        problems.append(("phone", f"{phone!r} is not a phone number"))
    name = " ".join(row["name"].split())
    problems.append(("name", "a name is required" if not name else _too_long(name, "display_name")))
    if role is None:
        message = f"role must be teacher, assistant, student or guardian, not {row['role']!r}"
        problems.append(("role", message))
    if row["age_band"] and row["age_band"] not in AGE_BANDS:
        message = f"age_band must be under14, 14to17, adult or empty, not {row['age_band']!r}"
        problems.append(("age_band", message))
    if guardian_phone and phone_key(guardian_phone) is None:
        problems.append(("guardian_phone", f"{guardian_phone!r} is not a phone number"))
    elif guardian_phone and phone_key(guardian_phone) == key:
        problems.append(("guardian_phone", "guardian_phone is the person's own phone"))
    if role == "student" and row["age_band"] == "under14" and not guardian_phone:
        problems.append(("guardian_phone", "a student under 14 needs guardian_phone"))
    if role == "guardian" and row["course_code"]:
        problems.append(("course_code", "a guardian is not enrolled in courses"))
    elif row["course_code"]:
        problems.append(("course_code", _too_long(row["course_code"], "code")))
    return [(column, message) for column, message in problems if message]
