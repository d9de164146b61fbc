"""A OneRoster 1.2 CSV zip's container: the files it holds, the manifest's modes, the tables.

Problems become `RowError`s on the `RosterFile` being read; nothing here raises.
"""

from __future__ import annotations

import io
import zipfile
import zlib

from app.roster.imports.rosterfile.reading import read_table
from app.roster.imports.rosterfile.rows import (
    COLUMNS,
    MAX_FILE_BYTES,
    OPTIONAL_FILES,
    REQUIRED_COLUMNS,
    ZIP_NAME,
    RosterFile,
    RowError,
    Table,
)


def unzip(data: bytes, out: RosterFile) -> dict[str, bytes] | None:
    """The roster files of the zip by name (folders and tool litter left out)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError):
        out.errors.append(RowError(ZIP_NAME, 1, None, "not a zip file"))
        return None
    files: dict[str, bytes] = {}
    with archive:
        for info in archive.infolist():
            name = info.filename.rsplit("/", 1)[-1]
            # Folders and the litter of desktop zip tools are not roster files.
            if info.is_dir() or info.filename.startswith("__MACOSX/") or name.startswith("."):
                continue
            if name in files:
                out.errors.append(RowError(name, 1, None, "the zip holds this file twice"))
            elif info.file_size > MAX_FILE_BYTES:
                message = f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB unpacked"
                out.errors.append(RowError(name, 1, None, message))
            else:
                try:
                    files[name] = archive.read(info)
                except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError) as e:
                    out.errors.append(RowError(name, 1, None, f"cannot unpack the file: {e}"))
    return files


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
            if value != "1.2":
                message = f"only OneRoster 1.2 is supported, this file says {value!r}"
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
    files: dict[str, bytes], declared: dict[str, str], out: RosterFile
) -> dict[str, Table]:
    """Each file the manifest declares present, read as a table; a bulk needs every file."""
    for name in files:
        if name == "manifest.csv":
            continue
        if name not in COLUMNS:
            out.notices.append(f"ignored file {name!r}")
        elif declared.get(name, "absent") == "absent":
            out.notices.append(f"ignored file {name!r} (manifest.csv says absent)")
    for name, mode in declared.items():
        if name in COLUMNS and mode != "absent":
            out.mode[name] = "delta" if mode == "delta" else "bulk"
    is_delta = "delta" in out.mode.values()
    tables: dict[str, Table] = {}
    for name in COLUMNS:
        if name not in out.mode:
            if not is_delta and name not in OPTIONAL_FILES:
                out.errors.append(RowError(name, 1, None, "a bulk roster needs this file"))
        elif name not in files:
            message = f"manifest.csv lists this file as {out.mode[name]} but it is not in the zip"
            out.errors.append(RowError(name, 1, None, message))
        else:
            required = REQUIRED_COLUMNS[name]
            tables[name] = read_table(name, files[name], COLUMNS[name], required, out.errors)
    return tables
