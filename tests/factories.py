"""Seeding helpers for tests: write through the owner connection, as `tenants apply` does."""

from __future__ import annotations

import uuid
from typing import Any

from app.accounts.models import Account
from app.accounts.service import get_or_create_account
from app.core.context import ServiceContext
from app.core.db import set_tenant
from app.core.phones import normalize
from app.tenancy.models import Membership, MembershipStatus


async def add_member(
    owner: ServiceContext,
    tenant: Any,
    phone: str,
    role: str,
    name: str | None = None,
    status: str = MembershipStatus.active,
) -> tuple[Account, Membership]:
    async with owner.db.session() as session:
        await set_tenant(session, tenant.id)
        account, _ = await get_or_create_account(session, owner.keys, normalize(phone), name)
        membership = Membership(
            tenant_id=tenant.id, account_id=account.id, role=role, status=status, display_name=name
        )
        session.add(membership)
        await session.flush()
        return account, membership


def uid() -> str:
    return str(uuid.uuid4())


# Leading bytes of real media files: uploads are judged by them (app/classroom/files/media.py).
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00"


def mp4(body: bytes = b"") -> bytes:
    """An MP4 file as far as its signature goes, followed by `body`."""
    return MP4_HEAD + body


def jpeg(body: bytes = b"") -> bytes:
    return JPEG_HEAD + body
