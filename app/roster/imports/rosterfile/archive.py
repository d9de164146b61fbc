"""A OneRoster 1.2 CSV zip's container: the files it holds, the manifest's modes, the tables.

Problems become `RowError`s on the `RosterFile` being read; only a zip past its limits
raises (`ArchiveTooLarge`), refusing the whole file.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

from app.roster.imports.rosterfile.reading import read_table
from app.roster.imports.rosterfile.rows import (
    COLUMNS,
    FILES_BY_VERSION,
    MAX_FILE_BYTES,
    OPTIONAL_FILES,
    READ_COLUMNS,
    REQUIRED_COLUMNS,
    VERSIONS,
    ZIP_NAME,
    ArchiveLimits,
    ArchiveTooLarge,
    RosterFile,
    RowError,
    RowFilter,
    Table,
)

CHUNK = 2**20
ROSTER_FILES = frozenset({"manifest.csv", *COLUMNS})


def unzip(data: bytes, out: RosterFile, limits: ArchiveLimits) -> dict[str, bytes] | None:
    """The roster files of the zip by name; every other entry is left packed.

    Raises ArchiveTooLarge past `limits`: the entry count is checked before anything is
    unpacked, and each roster file is unpacked in chunks, counted as it grows, so a zip bomb
    stops at the limit instead of filling memory.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError):
        out.errors.append(RowError(ZIP_NAME, 1, None, "not a zip file"))
        return None
    with archive:
        entries = archive.infolist()
        if len(entries) > limits.max_entries:
            message = (
                f"the zip holds {len(entries)} entries; at most {limits.max_entries} are read "
                "(setting roster_max_entries)"
            )
            raise ArchiveTooLarge(
                "roster_max_entries", limits.max_entries, message, too_many_entries=True
            )
        wanted = _roster_entries(entries, out)
        budget = _Budget(limits.max_unpacked_bytes)
        files: dict[str, bytes] = {}
        for name, info in wanted.items():
            try:
                files[name] = _unpack(archive, info, name, budget)
            except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError) as e:
                out.errors.append(RowError(name, 1, None, f"cannot unpack the file: {e}"))
    return files


def pack_folder(folder: Path) -> bytes:
    """A folder of OneRoster CSV files as the zip they would be sent in (roster files only)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.name in ROSTER_FILES:
                archive.write(path, path.name)
    return buffer.getvalue()


def _roster_entries(entries: list[zipfile.ZipInfo], out: RosterFile) -> dict[str, zipfile.ZipInfo]:
    """The entries named like a roster file (in any folder); the rest get a notice."""
    wanted: dict[str, zipfile.ZipInfo] = {}
    for info in entries:
        name = info.filename.rsplit("/", 1)[-1]
        # Folders and the litter of desktop zip tools are not roster files.
        if info.is_dir() or info.filename.startswith("__MACOSX/") or name.startswith("."):
            continue
        if name not in ROSTER_FILES:
            out.notices.append(f"ignored file {name!r}")
        elif name in wanted:
            out.errors.append(RowError(name, 1, None, "the zip holds this file twice"))
        elif info.file_size > MAX_FILE_BYTES:
            message = f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB unpacked"
            out.errors.append(RowError(name, 1, None, message))
        else:
            wanted[name] = info
    return wanted


class _Budget:
    """The unpacked bytes left for the roster files together."""

    def __init__(self, limit: int) -> None:
        self.limit, self.left = limit, limit

    def spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            mib = self.limit / 2**20
            message = (
                f"the roster files unpack to more than {mib:g} MiB "
                "(setting roster_max_unpacked_bytes)"
            )
            raise ArchiveTooLarge(
                "roster_max_unpacked_bytes", self.limit, message, too_many_entries=False
            )


def _unpack(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, budget: _Budget) -> bytes:
    """One entry, read a chunk at a time (the header's size is not trusted)."""
    chunks: list[bytes] = []
    with archive.open(info) as entry:
        while chunk := entry.read(CHUNK):
            budget.spend(len(chunk))
            chunks.append(chunk)
    return b"".join(chunks)


def read_manifest(files: dict[str, bytes], out: RosterFile) -> dict[str, str]:
    """File name -> bulk | delta | absent, as manifest.csv declares it."""
    if "manifest.csv" not in files:
        out.errors.append(RowError("manifest.csv", 1, None, "manifest.csv is missing"))
        return {name: "bulk" for name in COLUMNS if name in files}
    columns = ("propertyName", "value")
    table = read_table("manifest.csv", files["manifest.csv"], columns, columns, out.errors)
    declared: dict[str, str] = {}
    version_seen = False
    for line, row in table.rows:
        prop, value = row["propertyName"], row["value"]
        if prop == "oneroster.version":
            version_seen = True
            out.version = value
            if value not in VERSIONS:
                message = (
                    f"OneRoster {value!r} cannot be read: Rostra reads OneRoster "
                    f"{' and '.join(VERSIONS)} CSV"
                )
                out.errors.append(RowError("manifest.csv", line, "value", message))
        elif prop.startswith("file."):
            if value in ("bulk", "delta", "absent"):
                declared[f"{prop.removeprefix('file.')}.csv"] = value
            else:
                message = f"{prop} must be bulk, delta or absent, not {value!r}"
                out.errors.append(RowError("manifest.csv", line, "value", message))
    if table.rows and not version_seen:
        out.errors.append(RowError("manifest.csv", 1, None, "oneroster.version is missing"))
    return declared


def read_tables(
    files: dict[str, bytes],
    declared: dict[str, str],
    out: RosterFile,
    orgs: frozenset[str] = frozenset(),
) -> dict[str, Table]:
    """Each file the manifest declares present, read as a table; a bulk needs every file.

    With this school's `orgs` (a district's file), orgs and roles are read first, and the
    rows of classes, users, enrolments and demographics that belong only to other orgs are
    skipped unread (`Table.skipped`)."""
    for name in files:
        if name == "manifest.csv":
            continue
        if declared.get(name, "absent") == "absent":
            out.notices.append(f"ignored file {name!r} (manifest.csv says absent)")
    for name, mode in declared.items():
        if name in COLUMNS and mode != "absent":
            out.mode[name] = "delta" if mode == "delta" else "bulk"
    is_delta = "delta" in out.mode.values()
    tables: dict[str, Table] = {}
    names = list(FILES_BY_VERSION.get(out.version, COLUMNS))
    if orgs:  # what names the school's people first: their filters need them
        names.sort(key=lambda name: name not in ("orgs.csv", "roles.csv"))
    for name in names:
        if name not in out.mode:
            if not is_delta and name not in OPTIONAL_FILES:
                out.errors.append(RowError(name, 1, None, "a bulk roster needs this file"))
        elif name not in files:
            message = f"manifest.csv lists this file as {out.mode[name]} but it is not in the zip"
            out.errors.append(RowError(name, 1, None, message))
        else:
            required = REQUIRED_COLUMNS[name]
            only = _district_filter(name, orgs, tables, out.version)
            tables[name] = read_table(
                name, files[name], READ_COLUMNS[name], required, out.errors, only=only
            )
    return tables


def _district_filter(
    name: str, orgs: frozenset[str], tables: dict[str, Table], version: str
) -> RowFilter | None:
    """Which rows of a district's file are worth reading for this school's `orgs`."""
    if not orgs:
        return None
    if name in ("classes.csv", "enrollments.csv"):
        return RowFilter("schoolSourcedId", lambda org: not org or org in orgs)
    if name == "roles.csv":  # other orgs' roles: only whose they are is kept
        return RowFilter("orgSourcedId", lambda org: org in orgs, counted="userSourcedId")
    if name not in ("users.csv", "demographics.csv") or version != "1.2":
        return None
    roles = tables.get("roles.csv", Table())
    ours = {row["userSourcedId"] for _, row in roles.rows}
    elsewhere = frozenset(set(roles.skipped) - ours)  # users with roles only at other orgs
    return RowFilter("sourcedId", lambda user: user not in elsewhere)
