"""The zip on disk, one category at a time: `<name>.json` and `<name>.csv`, rows streamed.

Rows arrive as tuples in the order of the category's columns. JSON goes into its zip entry
in buffered blocks, CSV into a temporary file that is then copied into its own entry (a zip
writes one entry at a time), so memory holds one block, never the category.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
import zipfile
from collections.abc import AsyncIterable, Sequence
from pathlib import Path
from typing import IO, Any

import anyio
import orjson

from app.core import csvout

BLOCK = 256 * 1024


def _json_default(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


class ExportZip:
    """A zip being written to a file (deflated, zip64 for any size)."""

    def __init__(self, target: Path | IO[bytes]) -> None:
        self.zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self.rows: dict[str, int] = {}

    def add_text(self, name: str, text: str) -> None:
        self.zip.writestr(name, text.encode())

    async def add_category(
        self,
        name: str,
        columns: Sequence[str],
        rows: AsyncIterable[tuple[Any, ...]],
        raw_json: frozenset[str] = frozenset(),
    ) -> int:
        """Write the rows; columns in `raw_json` hold JSON text, embedded as it is."""
        count, raw = 0, [i for i, c in enumerate(columns) if c in raw_json]
        with tempfile.TemporaryFile("w+", newline="", encoding="utf-8") as csv_file:
            table = csvout.writer(csv_file)
            table.writerow(columns)
            with self.zip.open(f"{name}.json", "w", force_zip64=True) as json_entry:
                block = bytearray(b"[")
                async for row in rows:
                    table.writerow([csvout.cell(v) for v in row])
                    values = list(row)
                    for i in raw:
                        if isinstance(values[i], str):  # SQLite may hand it decoded already
                            values[i] = orjson.Fragment(values[i])
                    block += b",\n" if count else b"\n"
                    block += orjson.dumps(
                        dict(zip(columns, values, strict=True)), default=_json_default
                    )
                    count += 1
                    if len(block) >= BLOCK:
                        # Deflating is CPU work: a worker thread, so the loop serves others.
                        await anyio.to_thread.run_sync(json_entry.write, bytes(block))
                        block.clear()
                block += b"\n]\n"
                await anyio.to_thread.run_sync(json_entry.write, bytes(block))
            await anyio.to_thread.run_sync(self._copy_csv, name, csv_file)
        self.rows[name] = count
        return count

    def _copy_csv(self, name: str, csv_file: IO[str]) -> None:
        csv_file.flush()
        with self.zip.open(f"{name}.csv", "w", force_zip64=True) as entry:
            entry.write(csvout.BOM.encode())  # spreadsheets then read the Chinese text as UTF-8
            raw = getattr(csv_file, "buffer", None)
            if raw is not None:
                raw.seek(0)
                shutil.copyfileobj(raw, entry, 1024 * 1024)
            else:
                csv_file.seek(0)
                while chunk := csv_file.read(1024 * 1024):
                    entry.write(chunk.encode())

    def close(self) -> None:
        self.zip.close()
