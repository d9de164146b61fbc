"""The zip on disk, one category at a time: `<name>.json` and `<name>.csv`, rows streamed.

Only one row is in memory at a time: JSON goes straight into its zip entry, CSV into a
temporary file that is then copied into its own entry (a zip writes one entry at a time).
"""

from __future__ import annotations

import csv
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import AsyncIterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import orjson

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A CSV cell; text a spreadsheet would run as a formula is prefixed with ' (CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = orjson.dumps(value).decode()
    elif not isinstance(value, str):
        return str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _json_default(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


class ExportZip:
    """A zip being written to a file (deflated, zip64 for any size)."""

    def __init__(self, target: Path | IO[bytes]) -> None:
        self.zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        self.rows: dict[str, int] = {}

    def add_text(self, name: str, text: str) -> None:
        self.zip.writestr(name, text.encode())

    async def add_category(
        self, name: str, columns: Sequence[str], rows: AsyncIterable[dict[str, Any]]
    ) -> int:
        count = 0
        with tempfile.TemporaryFile("w+", newline="", encoding="utf-8") as csv_file:
            table = csv.writer(csv_file)
            table.writerow(columns)
            with self.zip.open(f"{name}.json", "w", force_zip64=True) as json_entry:
                json_entry.write(b"[")
                async for row in rows:
                    json_entry.write(b",\n" if count else b"\n")
                    json_entry.write(orjson.dumps(row, default=_json_default))
                    table.writerow([safe_cell(row.get(c)) for c in columns])
                    count += 1
                json_entry.write(b"\n]\n")
            self._copy_csv(name, csv_file)
        self.rows[name] = count
        return count

    def _copy_csv(self, name: str, csv_file: IO[str]) -> None:
        csv_file.flush()
        csv_file.seek(0)
        with self.zip.open(f"{name}.csv", "w", force_zip64=True) as entry:
            entry.write(b"\xef\xbb\xbf")  # BOM: spreadsheets then read the Chinese text as UTF-8
            raw = csv_file.buffer if hasattr(csv_file, "buffer") else None
            if raw is not None:
                raw.seek(0)
                shutil.copyfileobj(raw, entry, 1024 * 1024)
            else:
                while chunk := csv_file.read(1024 * 1024):
                    entry.write(chunk.encode())

    def close(self) -> None:
        self.zip.close()
