"""Roster files in and out: OneRoster 1.2 CSV zips and the one-sheet `roster.csv`.

Pure: bytes in, plain dataclasses out (and back). Bad input never raises; every problem
becomes a `RowError` naming the file, the 1-based physical line and the column, and the
row it belongs to is left out of the result.
"""

from __future__ import annotations

from app.roster.imports.rosterfile.archive import pack_folder
from app.roster.imports.rosterfile.oneroster import parse_oneroster
from app.roster.imports.rosterfile.reading import decode_text, phone_key, read_table
from app.roster.imports.rosterfile.rows import (
    AGE_BAND_COLUMN,
    AGE_BANDS,
    COLUMNS,
    ENROLLMENT_ROLE_BY_ONEROSTER,
    ENROLLMENT_ROLE_BY_PERSON_ROLE,
    MANIFEST_FILES,
    MAX_FILE_BYTES,
    MAX_LENGTHS,
    METADATA_PREFIX,
    ONEROSTER_ROLE_BY_PERSON_ROLE,
    OPTIONAL_FILES,
    PERSON_ROLE_BY_ONEROSTER,
    PERSON_ROLES,
    REQUIRED_COLUMNS,
    SIMPLE_CSV_NAME,
    STATUSES,
    ZIP_NAME,
    AgeBand,
    ArchiveLimits,
    ArchiveTooLarge,
    CourseRow,
    EnrollmentRole,
    EnrollmentRow,
    FileMode,
    Kind,
    OrgRow,
    PersonRole,
    PersonRow,
    Reference,
    RosterFile,
    RowError,
    SessionRow,
    Status,
    Table,
    age_band,
)
from app.roster.imports.rosterfile.simple import parse_simple_csv
from app.roster.imports.rosterfile.writing import write_oneroster


def parse_roster_file(data: bytes) -> RosterFile:
    """A zip is read as OneRoster; anything else as `roster.csv`."""
    if data[:4] == b"PK\x03\x04":
        return parse_oneroster(data)
    return parse_simple_csv(data)


__all__ = [
    "AGE_BANDS",
    "AGE_BAND_COLUMN",
    "COLUMNS",
    "ENROLLMENT_ROLE_BY_ONEROSTER",
    "ENROLLMENT_ROLE_BY_PERSON_ROLE",
    "MANIFEST_FILES",
    "MAX_FILE_BYTES",
    "MAX_LENGTHS",
    "METADATA_PREFIX",
    "ONEROSTER_ROLE_BY_PERSON_ROLE",
    "OPTIONAL_FILES",
    "PERSON_ROLES",
    "PERSON_ROLE_BY_ONEROSTER",
    "REQUIRED_COLUMNS",
    "SIMPLE_CSV_NAME",
    "STATUSES",
    "ZIP_NAME",
    "AgeBand",
    "ArchiveLimits",
    "ArchiveTooLarge",
    "CourseRow",
    "EnrollmentRole",
    "EnrollmentRow",
    "FileMode",
    "Kind",
    "OrgRow",
    "PersonRole",
    "PersonRow",
    "Reference",
    "RosterFile",
    "RowError",
    "SessionRow",
    "Status",
    "Table",
    "age_band",
    "decode_text",
    "pack_folder",
    "parse_oneroster",
    "parse_roster_file",
    "parse_simple_csv",
    "phone_key",
    "read_table",
    "write_oneroster",
]
