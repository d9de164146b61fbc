"""Signed checkpoints of each school's audit chain head, kept outside the database.

The chain is keyed (HMAC), so nobody without the audit key can recompute it; but someone who
can write the database could still cut entries off its end and move the head back. After
each seal run the sealer writes the head (sequence, entry id, hash) to a file signed with a
second key derived from the audit key; `verify` checks the chain reaches the newest
checkpoint and holds the hash it signed. The directory is `ROSTRA_AUDIT_CHECKPOINT_DIR`
(best on storage the database's writers cannot rewrite).
"""

from __future__ import annotations

import hmac
import json
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio

from app.core.config import Settings
from app.core.security import derive_key, keyed_hash

VERSION = 1


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement: the school's chain held `entry_id` at `seq` with `hash`."""

    name: str
    tenant_id: uuid.UUID
    seq: int
    entry_id: uuid.UUID
    hash: str
    at: str


class CheckpointProblem(Exception):
    """A checkpoint file that does not read or whose signature does not match."""


def _body(tenant_id: uuid.UUID, seq: int, entry_id: uuid.UUID, digest: str, at: str) -> str:
    fields = {
        "version": VERSION,
        "tenant_id": str(tenant_id),
        "seq": seq,
        "entry_id": str(entry_id),
        "hash": digest,
        "at": at,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class ChainSigning:
    """The audit chain's two keys (from `ROSTRA_AUDIT_KEY`) and where checkpoints go."""

    chain_key: bytes
    checkpoint_key: bytes
    directory: Path

    @classmethod
    def from_settings(cls, settings: Settings) -> ChainSigning:
        return cls(
            chain_key=derive_key(settings.audit_key, "audit-chain"),
            checkpoint_key=derive_key(settings.audit_key, "audit-checkpoint"),
            directory=settings.checkpoint_dir,
        )

    def _folder(self, tenant_id: uuid.UUID) -> Path:
        return self.directory / str(tenant_id)

    def sign(self, body: str) -> str:
        return keyed_hash(self.checkpoint_key, body)

    def sign_base(self, tenant_id: uuid.UUID, seq: int, digest: str) -> str:
        """The signature of a chain's base: the retention sweep removed every entry up to
        `seq`, the last of which had `digest`; the chain restarts from there."""
        body = json.dumps(
            {"base_seq": seq, "base_hash": digest, "tenant_id": str(tenant_id), "version": VERSION},
            sort_keys=True,
            separators=(",", ":"),
        )
        return self.sign(body)

    def base_is_genuine(
        self, tenant_id: uuid.UUID, seq: int, digest: str, signature: str | None
    ) -> bool:
        expected = self.sign_base(tenant_id, seq, digest)
        return signature is not None and hmac.compare_digest(expected, signature)

    async def write(
        self, tenant_id: uuid.UUID, seq: int, entry_id: uuid.UUID, digest: str, at: datetime
    ) -> Path:
        """Publish the head; the file is named by its seq, written whole or not at all."""
        body = _body(tenant_id, seq, entry_id, digest, at.isoformat())
        document = {**json.loads(body), "signature": self.sign(body)}
        return await anyio.to_thread.run_sync(self._write_file, tenant_id, seq, document)

    def _write_file(self, tenant_id: uuid.UUID, seq: int, document: dict[str, Any]) -> Path:
        folder = self._folder(tenant_id)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{seq:020d}.json"
        partial = folder / f".{seq:020d}.{os.getpid()}.part"
        partial.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
        partial.replace(path)
        return path

    async def latest(self, tenant_id: uuid.UUID) -> Checkpoint | None:
        """The newest checkpoint of the school; CheckpointProblem when it is not genuine."""
        return await anyio.to_thread.run_sync(self._latest, tenant_id)

    def _latest(self, tenant_id: uuid.UUID) -> Checkpoint | None:
        folder = self._folder(tenant_id)
        if not folder.is_dir():
            return None
        names = sorted(p.name for p in folder.glob("*.json") if not p.name.startswith("."))
        if not names:
            return None
        return self._read(tenant_id, folder / names[-1])

    def _read(self, tenant_id: uuid.UUID, path: Path) -> Checkpoint:
        name = f"{tenant_id}/{path.name}"
        try:
            document = json.loads(path.read_text())
            checkpoint = Checkpoint(
                name=name,
                tenant_id=uuid.UUID(document["tenant_id"]),
                seq=int(document["seq"]),
                entry_id=uuid.UUID(document["entry_id"]),
                hash=str(document["hash"]),
                at=str(document["at"]),
            )
            signature = str(document["signature"])
            version = document["version"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CheckpointProblem(f"checkpoint {name} does not read: {exc!r}") from exc
        body = _body(
            checkpoint.tenant_id,
            checkpoint.seq,
            checkpoint.entry_id,
            checkpoint.hash,
            checkpoint.at,
        )
        if version != VERSION or not hmac.compare_digest(self.sign(body), signature):
            raise CheckpointProblem(
                f"checkpoint {name} is forged or altered: its signature does not match"
            )
        if checkpoint.tenant_id != tenant_id or path.name != f"{checkpoint.seq:020d}.json":
            raise CheckpointProblem(f"checkpoint {name} was moved: it signs another position")
        return checkpoint
