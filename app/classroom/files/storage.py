"""Object store for recordings and snapshots: a local directory, or S3-compatible (boto3).

Uploads are copied chunk by chunk to a temporary file while hashed and counted, so nothing
is held in memory and an oversized upload stops at the limit (413).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import anyio

from app.core import clock
from app.core.config import Settings
from app.core.errors import PayloadTooLarge

CHUNK = 1024 * 1024


class Readable(Protocol):
    async def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True)
class Received:
    path: Path
    size: int
    sha256: str


async def receive(source: Readable, directory: Path, max_bytes: int) -> Received:
    """Copy an upload to a temporary file in `directory`, hashing it; 413 past `max_bytes`."""
    await anyio.Path(directory).mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=directory, prefix="upload-", suffix=".part")
    digest, size = hashlib.sha256(), 0
    try:
        async with await anyio.open_file(fd, "wb") as out:
            while chunk := await source.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLarge(
                        f"the file is larger than the limit of {max_bytes} bytes", field="file"
                    )
                await anyio.to_thread.run_sync(digest.update, chunk)  # hashing: off the loop
                await out.write(chunk)
    except BaseException:
        await anyio.Path(name).unlink(missing_ok=True)
        raise
    return Received(Path(name), size, digest.hexdigest())


class ObjectStore(Protocol):
    def temp_dir(self) -> Path: ...

    async def put(self, key: str, path: Path, content_type: str) -> None: ...

    def stream(self, key: str) -> AsyncIterator[bytes]: ...

    async def presigned_url(self, key: str, seconds: int, content_type: str) -> str | None: ...

    async def delete(self, key: str) -> bool:
        """Remove the object; True when it was there. One already gone is not an error."""

    async def exists(self, key: str) -> bool: ...


class LocalStore:
    """Files under `object_store_dir`; downloads go through signed `/v1/files/{token}` links."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def temp_dir(self) -> Path:
        return self.root / ".incoming"

    def path_of(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("object key leaves the store")
        return path

    async def put(self, key: str, path: Path, content_type: str) -> None:
        target = self.path_of(key)
        await anyio.Path(target.parent).mkdir(parents=True, exist_ok=True)
        os.replace(path, target)  # same filesystem: the temporary file is inside the root

    async def stream(self, key: str) -> AsyncIterator[bytes]:
        async with await anyio.open_file(self.path_of(key), "rb") as source:
            while chunk := await source.read(CHUNK):
                yield chunk

    async def presigned_url(self, key: str, seconds: int, content_type: str) -> str | None:
        return None

    async def delete(self, key: str) -> bool:
        """True when the object was there (a second delete of the same key is False)."""
        path = anyio.Path(self.path_of(key))
        if not await path.exists():
            return False
        await path.unlink(missing_ok=True)
        return True

    async def exists(self, key: str) -> bool:
        return await anyio.Path(self.path_of(key)).exists()


class S3Store:
    """An S3-compatible bucket; downloads are presigned GET URLs that expire."""

    def __init__(self, bucket: str, endpoint_url: str | None, scratch: Path) -> None:
        import boto3

        self.bucket = bucket
        self.client: Any = boto3.client("s3", endpoint_url=endpoint_url)
        self.scratch = scratch

    def temp_dir(self) -> Path:
        return self.scratch

    async def put(self, key: str, path: Path, content_type: str) -> None:
        def upload() -> None:
            self.client.upload_file(
                str(path), self.bucket, key, ExtraArgs={"ContentType": content_type}
            )

        try:
            await anyio.to_thread.run_sync(upload)
        finally:
            await anyio.Path(path).unlink(missing_ok=True)

    async def stream(self, key: str) -> AsyncIterator[bytes]:
        body = await anyio.to_thread.run_sync(
            lambda: self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        )
        while chunk := await anyio.to_thread.run_sync(body.read, CHUNK):
            yield chunk

    async def presigned_url(self, key: str, seconds: int, content_type: str) -> str | None:
        def sign() -> str:
            url: str = self.client.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": key,
                    "ResponseContentType": content_type,
                    # The bucket's origin is not ours, but a download is still never rendered.
                    "ResponseContentDisposition": "attachment",
                },
                ExpiresIn=seconds,
            )
            return url

        return await anyio.to_thread.run_sync(sign)

    async def exists(self, key: str) -> bool:
        def head() -> bool:
            try:
                self.client.head_object(Bucket=self.bucket, Key=key)
            except self.client.exceptions.ClientError:
                return False
            return True

        return await anyio.to_thread.run_sync(head)

    async def delete(self, key: str) -> bool:
        present = await self.exists(key)
        await anyio.to_thread.run_sync(
            lambda: self.client.delete_object(Bucket=self.bucket, Key=key)
        )
        return present


@lru_cache(maxsize=8)
def _s3(bucket: str, endpoint_url: str | None, scratch: Path) -> S3Store:
    return S3Store(bucket, endpoint_url, scratch)


def get_store(settings: Settings) -> ObjectStore:
    if settings.object_store == "s3":
        if not settings.s3_bucket:
            raise RuntimeError("ROSTRA_S3_BUCKET must be set when ROSTRA_OBJECT_STORE=s3")
        return _s3(settings.s3_bucket, settings.s3_endpoint_url, settings.var_dir / "uploads")
    return LocalStore(settings.object_store_dir)


# --- signed links ---------------------------------------------------------------------------

EXPORT_VIA = "export"  # a link in an access export: the holder attended the lesson


@dataclass(frozen=True, slots=True)
class LinkClaim:
    """What a signed link says: which file, issued to whom, and on what ground.

    `via` is the purpose the holder read the file under (checked again against the role
    policy and grants when the link is used), or `EXPORT_VIA`.
    """

    tenant_id: uuid.UUID
    file_id: uuid.UUID
    account_id: uuid.UUID
    via: str


def sign_link(key: bytes, claim: LinkClaim, seconds: int) -> tuple[str, datetime]:
    expires = clock.now() + timedelta(seconds=seconds)
    parts = (claim.tenant_id.hex, claim.file_id.hex, str(int(expires.timestamp())))
    payload = ".".join((*parts, claim.account_id.hex, claim.via))
    mac = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    token = f"{_b64(payload.encode())}.{_b64(mac)}"
    return token, expires


def verify_link(key: bytes, token: str) -> LinkClaim | str:
    """The claim of a valid token, or why it is refused ("invalid" / "expired")."""
    encoded, _, mac = token.partition(".")
    try:
        payload = _unb64(encoded)
        given = _unb64(mac)
    except ValueError:
        return "invalid"
    expected = hmac.new(key, payload, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, given):
        return "invalid"
    try:
        tenant_hex, file_hex, expires, account_hex, via = payload.decode().split(".")
        claim = LinkClaim(uuid.UUID(tenant_hex), uuid.UUID(file_hex), uuid.UUID(account_hex), via)
        if int(expires) <= clock.now().timestamp():
            return "expired"
    except ValueError:
        return "invalid"
    return claim


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("not base64") from exc


@asynccontextmanager
async def scratch_file(settings: Settings, prefix: str) -> AsyncIterator[tuple[int, Path]]:
    """A new zip file in the object store's scratch folder (descriptor, path), removed when
    the block ends: an export is built there, then put into the store."""
    directory = get_store(settings).temp_dir()
    await anyio.Path(directory).mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=".zip")
    path = Path(name)
    try:
        yield fd, path
    finally:
        await anyio.Path(path).unlink(missing_ok=True)
