"""A made-up school as a OneRoster 1.2 zip: same seed, same bytes. For tests and benchmarks."""

from __future__ import annotations

import io
import random
import zipfile
from datetime import UTC, date, datetime, timedelta

from app.roster.imports.rosterfile import (
    CourseRow,
    EnrollmentRow,
    OrgRow,
    PersonRole,
    PersonRow,
    SessionRow,
    age_band,
    write_oneroster,
)

# Mobile prefixes whose every 8-digit ending `phonenumbers` accepts as a valid CN mobile.
MOBILE_PREFIXES = ("135", "136", "137", "138", "139")
FAMILY_NAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN_NAMES = (
    *("伟", "芳", "娜", "敏", "静", "磊", "洋", "杰", "涛", "明", "超"),
    *("秀英", "子涵", "浩然", "欣怡", "梓轩", "雨桐", "建国", "丽华"),
)
SUBJECTS = ("语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "音乐", "美术")
TERM_STARTS, TERM_ENDS = date(2026, 9, 1), date(2027, 1, 31)
MODIFIED_AT = datetime(2026, 6, 1, tzinfo=UTC)


def generate_oneroster(
    courses: int,
    users: int,
    enrollments: int,
    seed: int = 1,
    school_id: str = "org-1",
) -> bytes:
    """A bulk zip with exactly `courses` classes, `users` users and `enrollments` enrollments.

    Users are teachers (about one per two courses), students aged 7 to 18 on the first
    day of term, and one guardian for every student under 14. Each class gets a teacher
    first; the remaining enrollments spread students over the classes.
    """
    if min(courses, users, enrollments) < 0:
        raise ValueError("sizes must not be negative")
    rng = random.Random(seed)
    school = OrgRow(school_id, f"第{seed}实验学校", identifier=school_id)
    term = SessionRow(f"{school_id}-term-1", "2026秋季学期", TERM_STARTS, TERM_ENDS,
                      type="semester", school_year="2027")  # fmt: skip
    classes = [_course(school_id, term, number) for number in range(1, courses + 1)]
    phones = _phones(rng, users)
    teachers = [
        _person(rng, f"{school_id}-user-{n}", phones[n - 1], "teacher")
        for n in range(1, min(users, max(1, courses // 2)) + 1)
    ]
    students, guardians = _students_and_guardians(rng, school_id, phones, len(teachers))
    links = _enrollments(rng, school_id, classes, teachers, students, enrollments)
    return write_oneroster(
        school, [term], classes, teachers + students + guardians, links, modified_at=MODIFIED_AT
    )


def _course(school_id: str, term: SessionRow, number: int) -> CourseRow:
    subject = SUBJECTS[(number - 1) % len(SUBJECTS)]
    grade = (number - 1) // len(SUBJECTS) % 12 + 1
    group = (number - 1) // (len(SUBJECTS) * 12) + 1
    return CourseRow(
        source_id=f"{school_id}-class-{number}",
        code=f"C{number:05d}",
        name=f"{grade}年级{subject}{group}班",
        subject=subject,
        term_source_id=term.source_id,
        term=term.title,
        starts_on=term.starts_on,
        ends_on=term.ends_on,
    )


def _phones(rng: random.Random, count: int) -> list[str]:
    """Distinct numbers, written the way people type them: `+86 138 1234 5678`."""
    numbers = rng.sample(range(len(MOBILE_PREFIXES) * 10**8), count)
    phones = []
    for number in numbers:
        prefix, ending = MOBILE_PREFIXES[number // 10**8], f"{number % 10**8:08d}"
        phones.append(f"+86 {prefix} {ending[:4]} {ending[4:]}")
    return phones


def _person(
    rng: random.Random, source_id: str, phone: str, role: PersonRole, family: str | None = None
) -> PersonRow:
    name = (family or rng.choice(FAMILY_NAMES)) + rng.choice(GIVEN_NAMES)
    return PersonRow(source_id, phone, name, role)


def _students_and_guardians(
    rng: random.Random, school_id: str, phones: list[str], taken: int
) -> tuple[list[PersonRow], list[PersonRow]]:
    students: list[PersonRow] = []
    guardians: list[PersonRow] = []
    while taken < len(phones):
        age = rng.randint(7, 18)
        born = TERM_STARTS - timedelta(days=round(age * 365.25) + rng.randint(0, 360))
        # The last free slot cannot hold a pair, so that child is old enough to need none.
        if age_band(born, TERM_STARTS) == "under14" and taken + 2 > len(phones):
            born = TERM_STARTS - timedelta(days=round(15.5 * 365.25))
        student = _person(rng, f"{school_id}-user-{taken + 1}", phones[taken], "student")
        student.birth_date = born
        taken += 1
        if age_band(born, TERM_STARTS) == "under14":
            guardian_id = f"{school_id}-user-{taken + 1}"
            family = student.display_name[0]
            guardians.append(_person(rng, guardian_id, phones[taken], "guardian", family))
            student.guardian_source_ids = [guardian_id]
            taken += 1
        students.append(student)
    return students, guardians


def _enrollments(
    rng: random.Random,
    school_id: str,
    classes: list[CourseRow],
    teachers: list[PersonRow],
    students: list[PersonRow],
    count: int,
) -> list[EnrollmentRow]:
    teaching = min(count, len(classes)) if teachers else 0
    learning = count - teaching
    if learning > len(classes) * len(students):
        raise ValueError(
            f"{count} enrollments do not fit {len(classes)} courses with "
            f"{len(teachers)} teachers and {len(students)} students"
        )
    links = [
        EnrollmentRow(f"{school_id}-enr-{n + 1}", classes[n].source_id,
                      teachers[n % len(teachers)].source_id, "teacher")
        for n in range(teaching)
    ]  # fmt: skip
    order = [student.source_id for student in students]
    rng.shuffle(order)
    stride = max(1, len(order) // max(1, len(classes)))
    for k in range(learning):
        # Class k % C takes students from its own offset on, so no one is in it twice.
        class_index, round_ = k % len(classes), k // len(classes)
        student_id = order[(class_index * stride + round_) % len(order)]
        links.append(
            EnrollmentRow(f"{school_id}-enr-{teaching + k + 1}", classes[class_index].source_id,
                          student_id, "student")
        )  # fmt: skip
    return links


def generate_district(
    schools: int, courses: int, users: int, enrollments: int, seed: int = 1
) -> bytes:
    """A district's bulk zip: `schools` generated schools (orgs `dist-1` ...), each with
    `courses`, `users` and `enrollments` of its own, their files joined."""
    tables: dict[str, list[bytes]] = {}
    manifest = b""
    for number in range(1, schools + 1):
        school = generate_oneroster(
            courses, users, enrollments, seed=seed * 1000 + number, school_id=f"dist-{number}"
        )
        with zipfile.ZipFile(io.BytesIO(school)) as archive:
            for name in archive.namelist():
                content = archive.read(name)
                if name == "manifest.csv":
                    manifest = content
                    continue
                header, _, body = content.partition(b"\r\n")
                tables.setdefault(name, [header + b"\r\n"]).append(body)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("manifest.csv", manifest)
        for name, parts in tables.items():
            out.writestr(name, b"".join(parts))
    return buffer.getvalue()
