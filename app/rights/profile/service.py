"""Setting, replacing and removing the profile; the avatar lives in the object store.

An avatar is an image whose bytes are JPEG, PNG or WebP (the declared type is only a claim)
of at most `AVATAR_MAX_BYTES`. A new one replaces the old object; removing it deletes the
object. Nothing else in Rostra reads the profile, so leaving it empty restricts nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account
from app.classroom.files.media import UNKNOWN, sniffed_type
from app.classroom.files.storage import Readable, get_store, receive
from app.core import clock
from app.core.config import Settings
from app.core.db import after_commit
from app.core.errors import Invalid, NotFound
from app.core.ids import new_id
from app.rights.profile.schemas import AvatarOut, ProfileIn, ProfileOut, RegisteredOut

AVATAR_MAX_BYTES = 512 * 1024
AVATAR_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
AVATAR_URL = "/v1/me/profile/avatar"


def profile_out(account: Account) -> ProfileOut:
    avatar = None
    if account.avatar_key and account.avatar_type:
        avatar = AvatarOut(
            url=AVATAR_URL,
            content_type=account.avatar_type,
            size_bytes=account.avatar_size or 0,
            sha256=account.avatar_sha256 or "",
            updated_at=account.avatar_updated_at,
        )
    registered = RegisteredOut(display_name=account.display_name, phone_masked=account.phone_masked)
    return ProfileOut(nickname=account.nickname, avatar=avatar, registered=registered)


async def update(
    session: AsyncSession, settings: Settings, account: Account, body: ProfileIn
) -> Account:
    """The fields sent, and only those: a repeat of the same change changes nothing."""
    if "nickname" in body.model_fields_set:
        account.nickname = body.nickname
    if "avatar" in body.model_fields_set:
        await remove_avatar(session, settings, account)
    session.add(account)
    await session.flush()
    return account


def _checked(declared: str, path: Path) -> str:
    claimed = declared.partition(";")[0].strip().lower()
    names = ", ".join(sorted(AVATAR_TYPES))
    if claimed not in AVATAR_TYPES and claimed not in ("", UNKNOWN):
        raise Invalid("file", f"an avatar may be {names}, not {claimed}")
    sniffed = sniffed_type(path)
    if sniffed is None or sniffed not in AVATAR_TYPES:
        found = sniffed or "not an image"
        raise Invalid("file", f"the file's content is {found}; an avatar may be {names}")
    return sniffed


async def set_avatar(
    session: AsyncSession, settings: Settings, account: Account, source: Readable, declared: str
) -> Account:
    store = get_store(settings)
    received = await receive(source, store.temp_dir(), AVATAR_MAX_BYTES)
    key = f"accounts/{account.id}/avatar/{new_id()}"
    try:
        content_type = await anyio.to_thread.run_sync(_checked, declared, received.path)
        await store.put(key, received.path, content_type)
    finally:
        await anyio.Path(received.path).unlink(missing_ok=True)
    previous = account.avatar_key
    account.avatar_key, account.avatar_type = key, content_type
    account.avatar_size, account.avatar_sha256 = received.size, received.sha256
    account.avatar_updated_at = clock.now()
    session.add(account)
    await session.flush()
    if previous:  # once the account no longer names it
        after_commit(session, lambda: store.delete(previous))
    return account


async def remove_avatar(session: AsyncSession, settings: Settings, account: Account) -> None:
    """Deletes the avatar's object and its record; none there is no error (a retry)."""
    if account.avatar_key:  # the object goes once the account no longer names it
        key, store = account.avatar_key, get_store(settings)
        after_commit(session, lambda: store.delete(key))
    account.avatar_key = account.avatar_type = account.avatar_sha256 = None
    account.avatar_size = account.avatar_updated_at = None
    session.add(account)
    await session.flush()


def avatar_bytes(settings: Settings, account: Account) -> tuple[str, AsyncIterator[bytes]]:
    if not (account.avatar_key and account.avatar_type):
        raise NotFound("no avatar", field="avatar")
    return account.avatar_type, get_store(settings).stream(account.avatar_key)
