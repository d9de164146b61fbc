"""Roster files: OneRoster 1.2 zips and roster.csv, read and written without a database."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

import phonenumbers
import pytest

from app.roster.imports.rosterfile import (
    COLUMNS,
    CourseRow,
    EnrollmentRow,
    OrgRow,
    PersonRow,
    RowError,
    SessionRow,
    age_band,
    parse_oneroster,
    parse_roster_file,
    parse_simple_csv,
    write_oneroster,
)
from app.roster.imports.rosterfile.generate import generate_oneroster

TERM_START, TERM_END = date(2026, 9, 1), date(2027, 1, 31)
SCHOOL = OrgRow("org-1", "第一实验学校", "S001")
TERM = SessionRow("term-1", "2026秋季学期", TERM_START, TERM_END, "semester", "2027")
IN_TERM = (TERM.source_id, TERM.title, TERM_START, TERM_END)
COURSES = [
    CourseRow("class-1", "MATH-7A", "七年级数学A班", "数学", *IN_TERM),
    CourseRow("class-2", "ENG-7A", "Grade 7 English", "English", *IN_TERM),
]
PEOPLE = [
    PersonRow("u-teacher", "+86 138 0000 0001", "王芳", "teacher"),
    PersonRow("u-aide", "13800000002", "Ann Marie Smith", "assistant"),
    PersonRow("u-kid", "13800000003", "李子涵", "student", date(2015, 3, 1), None, ["u-parent"]),
    PersonRow("u-teen", "13800000004", "张浩然", "student", date(2010, 10, 1)),
    PersonRow("u-parent", "13800000005", "李建国", "guardian"),
]
ENROLLMENTS = [
    EnrollmentRow("e-1", "class-1", "u-teacher", "teacher"),
    EnrollmentRow("e-2", "class-1", "u-aide", "assistant"),
    EnrollmentRow("e-3", "class-1", "u-kid", "student"),
    EnrollmentRow("e-4", "class-2", "u-teen", "student"),
]


def school_zip() -> bytes:
    return write_oneroster(SCHOOL, [TERM], COURSES, PEOPLE, ENROLLMENTS)


def read_rows(archive: bytes, name: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        return list(csv.DictReader(io.StringIO(opened.read(name).decode("utf-8"), newline="")))


def csv_text(rows: list[dict[str, str]], columns: tuple[str, ...] | list[str]) -> str:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def replace_files(archive: bytes, files: dict[str, bytes | str]) -> bytes:
    """The zip with some files replaced or added."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(archive)) as source,
        zipfile.ZipFile(buffer, "w") as target,
    ):
        for name in source.namelist():
            if name not in files:
                target.writestr(name, source.read(name))
        for name, content in files.items():
            target.writestr(name, content.encode("utf-8") if isinstance(content, str) else content)
    return buffer.getvalue()


def with_users(archive: bytes, users: list[dict[str, str]]) -> bytes:
    return replace_files(archive, {"users.csv": csv_text(users, COLUMNS["users.csv"])})


# --- round trip and encodings -------------------------------------------------------------


def test_written_roster_reads_back_the_same() -> None:
    roster = parse_oneroster(school_zip())

    assert roster.errors == []
    assert roster.kind == "oneroster"
    assert set(roster.mode.values()) == {"bulk"}
    assert roster.school == SCHOOL
    assert roster.sessions == [TERM]
    assert roster.courses == COURSES
    assert roster.people == PEOPLE
    assert roster.enrollments == ENROLLMENTS


def test_today_fills_age_bands() -> None:
    roster = parse_oneroster(school_zip(), today=TERM_START)

    bands = {person.source_id: person.age_band for person in roster.people}
    assert bands == {
        "u-teacher": None, "u-aide": None, "u-kid": "under14", "u-teen": "14to17",
        "u-parent": None,
    }  # fmt: skip


def test_a_student_under_14_without_guardian_is_an_error_when_today_is_given() -> None:
    users = read_rows(school_zip(), "users.csv")
    users[2]["agentSourcedIds"] = ""
    roster = parse_oneroster(with_users(school_zip(), users), today=TERM_START)

    message = "a student under 14 needs a guardian (agentSourcedIds)"
    assert roster.errors == [RowError("users.csv", 4, "agentSourcedIds", message)]
    assert "u-kid" not in {person.source_id for person in roster.people}
    assert "u-kid" not in {e.person_source_id for e in roster.enrollments}


def test_utf8_with_bom_is_read() -> None:
    users = read_rows(school_zip(), "users.csv")
    text = csv_text(users, COLUMNS["users.csv"])
    roster = parse_oneroster(replace_files(school_zip(), {"users.csv": "\ufeff" + text}))

    assert roster.errors == []
    assert [person.display_name for person in roster.people][:3] == [
        "王芳",
        "Ann Marie Smith",
        "李子涵",
    ]


def test_gb18030_is_read() -> None:
    archive = school_zip()
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        recoded = {
            name: opened.read(name).decode("utf-8").encode("gb18030") for name in opened.namelist()
        }
    roster = parse_oneroster(replace_files(archive, dict(recoded)))

    assert roster.errors == []
    assert roster.people == PEOPLE
    assert roster.courses[0].name == "七年级数学A班"


def test_text_in_neither_encoding_is_an_error_on_line_1() -> None:
    roster = parse_oneroster(replace_files(school_zip(), {"users.csv": b"sourcedId\xff\xfe\n"}))

    assert (
        RowError("users.csv", 1, None, "the file is neither UTF-8 nor GB18030 text")
        in roster.errors
    )
    assert roster.people == []


def test_chinese_names_put_the_family_name_first() -> None:
    users = read_rows(school_zip(), "users.csv")
    users[0].update(givenName="小红", familyName="欧阳", preferredGivenName="")
    users[1].update(givenName="Lily", familyName="Chen", preferredGivenName="Lil")
    roster = parse_oneroster(with_users(school_zip(), users))

    assert [person.display_name for person in roster.people][:2] == ["欧阳小红", "Lil Chen"]


# --- what a broken file reports -----------------------------------------------------------


def test_malformed_quoting_is_a_row_error_and_other_rows_still_read() -> None:
    text = csv_text(read_rows(school_zip(), "users.csv"), COLUMNS["users.csv"])
    header, rest = text.split("\r\n", 1)
    broken = f'{header}\r\nu-bad,active,,true,"bad"quote,,,,\r\n{rest}'
    roster = parse_oneroster(replace_files(school_zip(), {"users.csv": broken}))

    assert len(roster.errors) == 1
    error = roster.errors[0]
    assert (error.file, error.line, error.column) == ("users.csv", 2, None)
    assert error.message.startswith("malformed CSV")
    assert len(roster.people) == len(PEOPLE)


def test_a_missing_required_column_is_named_on_line_1() -> None:
    columns = [c for c in COLUMNS["enrollments.csv"] if c != "classSourcedId"]
    text = csv_text(read_rows(school_zip(), "enrollments.csv"), columns)
    roster = parse_oneroster(replace_files(school_zip(), {"enrollments.csv": text}))

    message = "required column 'classSourcedId' is missing"
    assert roster.errors == [RowError("enrollments.csv", 1, "classSourcedId", message)]
    assert roster.enrollments == []


def test_columns_in_any_order_and_unknown_columns_are_fine() -> None:
    columns = [*reversed(COLUMNS["users.csv"]), "metadata.favouriteColour"]
    text = csv_text(read_rows(school_zip(), "users.csv"), columns)
    roster = parse_oneroster(replace_files(school_zip(), {"users.csv": text}))

    assert roster.errors == []
    assert roster.people == PEOPLE


def test_an_enrollment_in_an_unknown_class_is_an_error() -> None:
    rows = read_rows(school_zip(), "enrollments.csv")
    rows.append({**rows[0], "sourcedId": "e-9", "classSourcedId": "class-404"})
    text = csv_text(rows, COLUMNS["enrollments.csv"])
    roster = parse_oneroster(replace_files(school_zip(), {"enrollments.csv": text}))

    assert roster.errors == [
        RowError("enrollments.csv", 6, "classSourcedId", "unknown class 'class-404'")
    ]
    assert [e.source_id for e in roster.enrollments] == ["e-1", "e-2", "e-3", "e-4"]


def test_a_class_with_an_unknown_term_is_an_error() -> None:
    rows = read_rows(school_zip(), "classes.csv")
    rows[1]["termSourcedIds"] = "term-404,term-1"
    text = csv_text(rows, COLUMNS["classes.csv"])
    roster = parse_oneroster(replace_files(school_zip(), {"classes.csv": text}))

    assert roster.errors == [
        RowError("classes.csv", 3, "termSourcedIds", "unknown term 'term-404'")
    ]
    assert [course.code for course in roster.courses] == ["MATH-7A"]
    assert "e-4" not in {e.source_id for e in roster.enrollments}


def test_the_same_phone_twice_is_an_error_on_the_second() -> None:
    users = read_rows(school_zip(), "users.csv")
    users[3]["sms"] = ""
    users[3]["phone"] = "+86 138-0000-0003"
    roster = parse_oneroster(with_users(school_zip(), users))

    assert roster.errors == [
        RowError("users.csv", 5, "phone", "phone +86 138-0000-0003 is already used on line 4")
    ]
    assert "u-teen" not in {person.source_id for person in roster.people}


def test_a_person_without_phone_is_an_error_unless_a_student_under_a_guardian() -> None:
    users = read_rows(school_zip(), "users.csv")
    users[1]["sms"] = ""
    roster = parse_oneroster(with_users(school_zip(), users))

    message = (
        "a phone number is required (sms or phone); only a student with a guardian "
        "(agentSourcedIds) may have none"
    )
    assert roster.errors == [RowError("users.csv", 3, "sms", message)]


def test_bad_status_date_and_duplicate_ids_are_row_errors() -> None:
    archive = school_zip()
    sessions = read_rows(archive, "academicSessions.csv")
    sessions.append({**sessions[0], "sourcedId": "term-2", "startDate": "2026/09/01"})
    courses = read_rows(archive, "courses.csv")
    courses[0]["status"] = "inactive"
    enrollments = read_rows(archive, "enrollments.csv")
    enrollments.append(enrollments[0])
    roster = parse_oneroster(
        replace_files(archive, {
            "academicSessions.csv": csv_text(sessions, COLUMNS["academicSessions.csv"]),
            "courses.csv": csv_text(courses, COLUMNS["courses.csv"]),
            "enrollments.csv": csv_text(enrollments, COLUMNS["enrollments.csv"]),
        })
    )  # fmt: skip

    assert [(e.file, e.line, e.column) for e in roster.errors] == [
        ("academicSessions.csv", 3, "startDate"),
        ("courses.csv", 2, "status"),
        ("enrollments.csv", 6, "sourcedId"),
    ]


def test_one_school_per_file() -> None:
    orgs = read_rows(school_zip(), "orgs.csv")
    orgs.append({**orgs[0], "sourcedId": "org-2"})
    orgs.append({**orgs[0], "sourcedId": "district-1", "type": "district"})
    text = csv_text(orgs, COLUMNS["orgs.csv"])
    roster = parse_oneroster(replace_files(school_zip(), {"orgs.csv": text}))

    assert [(e.file, e.line, e.column) for e in roster.errors] == [("orgs.csv", 3, "type")]
    assert roster.school == SCHOOL
    assert "ignored 1 orgs that are not the school" in roster.notices


def test_not_a_zip_and_no_manifest() -> None:
    assert parse_oneroster(b"hello").errors == [RowError("roster.zip", 1, None, "not a zip file")]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("users.csv", "sourcedId,givenName,familyName,sms\r\n")
    errors = parse_oneroster(buffer.getvalue()).errors
    assert RowError("manifest.csv", 1, None, "manifest.csv is missing") in errors
    assert RowError("orgs.csv", 1, None, "a bulk roster needs this file") in errors


# --- what is skipped, with a notice -------------------------------------------------------


def test_other_files_are_ignored_with_a_notice() -> None:
    archive = replace_files(school_zip(), {"lineItems.csv": "sourcedId,title\r\nli-1,Quiz\r\n"})
    roster = parse_oneroster(archive)

    assert roster.errors == []
    assert "ignored file 'lineItems.csv'" in roster.notices


def test_proctors_and_roles_at_other_orgs_are_skipped_with_a_notice() -> None:
    archive = school_zip()
    roles = read_rows(archive, "roles.csv")
    roles[1]["role"] = "proctor"
    roles.append({**roles[0], "sourcedId": "r-district", "orgSourcedId": "district-1"})
    orgs = read_rows(archive, "orgs.csv")
    orgs.append({**orgs[0], "sourcedId": "district-1", "type": "district"})
    roster = parse_oneroster(
        replace_files(archive, {
            "roles.csv": csv_text(roles, COLUMNS["roles.csv"]),
            "orgs.csv": csv_text(orgs, COLUMNS["orgs.csv"]),
        })
    )  # fmt: skip

    assert roster.errors == []
    assert "u-aide" not in {person.source_id for person in roster.people}
    assert "e-2" not in {e.source_id for e in roster.enrollments}
    assert roster.not_this_school == {"roles.csv": 1}
    assert any("1 users with role 'proctor'" in notice for notice in roster.notices)


def test_a_delta_keeps_tobedeleted_rows_and_references_outside_the_file() -> None:
    manifest = "propertyName,value\r\nmanifest.version,1.0\r\noneroster.version,1.2\r\n"
    manifest += "file.users,delta\r\nfile.enrollments,delta\r\nfile.orgs,absent\r\n"
    users = read_rows(school_zip(), "users.csv")[3:4]
    users[0]["status"] = "tobedeleted"
    enrollments = read_rows(school_zip(), "enrollments.csv")[3:4]
    enrollments[0]["status"] = "tobedeleted"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.csv", manifest)
        archive.writestr("users.csv", csv_text(users, COLUMNS["users.csv"]))
        archive.writestr("enrollments.csv", csv_text(enrollments, COLUMNS["enrollments.csv"]))
    roster = parse_oneroster(buffer.getvalue())

    assert roster.errors == []
    assert roster.mode == {"users.csv": "delta", "enrollments.csv": "delta"}
    assert roster.people == [
        PersonRow("u-teen", "13800000004", "张浩然", None, status="tobedeleted")
    ]
    assert roster.enrollments == [
        EnrollmentRow("e-4", "class-2", "u-teen", "student", status="tobedeleted")
    ]


# --- roster.csv ---------------------------------------------------------------------------

SIMPLE_HEADER = "phone,name,role,course_code,age_band,guardian_phone\r\n"


def test_simple_csv_people_in_several_courses_and_their_guardians() -> None:
    text = SIMPLE_HEADER + (
        "13800000001,王芳,teacher,MATH-7A,,\r\n"
        "13800000001,王芳,teacher,ENG-7A,,\r\n"
        "+86 138 0000 0003,李子涵,student,MATH-7A,under14,13800000005\r\n"
        "13800000005,李建国,guardian,,adult,\r\n"
        "13800000006,Zhou Min,assistant,,,\r\n"
    )
    roster = parse_roster_file(text.encode("utf-8"))

    assert roster.errors == []
    assert roster.kind == "csv"
    assert [(p.source_id, p.role, p.guardian_source_ids) for p in roster.people] == [
        ("13800000001", "teacher", []),
        ("13800000003", "student", ["13800000005"]),
        ("13800000005", "guardian", []),
        ("13800000006", "assistant", []),
    ]
    assert roster.people[1].age_band == "under14"
    assert [(e.person_source_id, e.course_code, e.role) for e in roster.enrollments] == [
        ("13800000001", "MATH-7A", "teacher"),
        ("13800000001", "ENG-7A", "teacher"),
        ("13800000003", "MATH-7A", "student"),
    ]


def test_simple_csv_student_under_14_needs_a_guardian() -> None:
    roster = parse_simple_csv((SIMPLE_HEADER + "13800000003,李子涵,student,,under14,\r\n").encode())

    assert roster.errors == [
        RowError("roster.csv", 2, "guardian_phone", "a student under 14 needs guardian_phone")
    ]
    assert roster.people == []


def test_simple_csv_duplicates_and_bad_values() -> None:
    text = SIMPLE_HEADER + (
        "13800000001,王芳,teacher,MATH-7A,,\r\n"
        "138-0000-0001,王芳,teacher,MATH-7A,,\r\n"
        "13800000001,王芳,student,ENG-7A,,\r\n"
        "not a phone,张三,student,,,\r\n"
        "13800000009,张三,principal,,,\r\n"
        "13800000010,李四,student,,child,\r\n"
    )
    roster = parse_simple_csv(text.encode("gb18030"))

    assert [(e.line, e.column) for e in roster.errors] == [
        (3, "phone"), (4, "phone"), (5, "phone"), (6, "role"), (7, "age_band"),
    ]  # fmt: skip
    assert len(roster.people) == 1
    assert roster.people[0].display_name == "王芳"


def test_simple_csv_header_is_checked_case_insensitively() -> None:
    ok = parse_simple_csv("Phone,Name,Role\r\n13800000001,王芳,teacher\r\n".encode("utf-8-sig"))
    missing = parse_simple_csv(b"phone,name\r\n13800000001,Wang\r\n")

    assert ok.errors == [] and len(ok.people) == 1
    assert missing.errors == [
        RowError("roster.csv", 1, "role", "required column 'role' is missing")
    ]


# --- age bands and the generator ----------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "band"),
    [
        (date(2012, 9, 2), "under14"),
        (date(2012, 9, 1), "14to17"),
        (date(2008, 9, 2), "14to17"),
        (date(2008, 9, 1), "adult"),
    ],
)
def test_age_band_turns_on_the_birthday(born: date, band: str) -> None:
    assert age_band(born, date(2026, 9, 1)) == band


def test_generated_roster_has_the_asked_sizes_and_reads_cleanly() -> None:
    archive = generate_oneroster(courses=6, users=40, enrollments=70, seed=3)
    roster = parse_oneroster(archive, today=TERM_START)

    assert roster.errors == []
    assert (len(roster.courses), len(roster.people), len(roster.enrollments)) == (6, 40, 70)
    roles = [person.role for person in roster.people]
    assert roles.count("teacher") == 3
    assert roles.count("guardian") == sum(p.age_band == "under14" for p in roster.people)
    assert all(
        phonenumbers.is_valid_number(phonenumbers.parse(person.phone)) for person in roster.people
    )
    assert all(course.starts_on == TERM_START for course in roster.courses)


def test_generator_is_deterministic() -> None:
    first = generate_oneroster(courses=4, users=20, enrollments=30, seed=7)

    assert generate_oneroster(courses=4, users=20, enrollments=30, seed=7) == first
    assert generate_oneroster(courses=4, users=20, enrollments=30, seed=8) != first


def test_generator_refuses_sizes_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        generate_oneroster(courses=2, users=3, enrollments=50)
