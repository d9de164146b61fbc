"""Signed links to recordings and snapshots: issued to one person on one ground, and
checked again when used, so a revoked grant or role ends the links already handed out."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.decision import decide
from app.authz.deps import staff_grants
from app.classroom.files import repository
from app.classroom.files.storage import EXPORT_VIA, LinkClaim, get_store, sign_link, verify_link
from app.classroom.models import LessonFile
from app.classroom.visibility import file_predicate
from app.core.config import Settings
from app.core.db import set_tenant
from app.core.errors import NotFound, Unauthorized
from app.core.security import Keys
from app.core.vocabulary import Action, Purpose, RecordKind
from app.tenancy import repository as tenancy_repository
from app.tenancy.deps import Member

REDIRECT_SECONDS = 60  # a checked download on S3 redirects to a presigned URL this short


async def link(
    settings: Settings, keys: Keys, file: LessonFile, account_id: uuid.UUID, via: str
) -> tuple[str, datetime]:
    """A short-lived `/v1/files/` URL, signed, naming who it is for and on what ground.

    The link is checked again when used (`downloadable`), so a revoked grant or role ends
    the links already issued; on S3 the download then redirects to a presigned URL.
    """
    claim = LinkClaim(file.tenant_id, file.id, account_id, via)
    token, expires = sign_link(keys.link_signing, claim, settings.signed_link_seconds)
    return f"/v1/files/{token}", expires


@dataclass(frozen=True, slots=True)
class Download:
    """A file behind a signed link: its bytes, or where the object store serves them."""

    file: LessonFile
    chunks: AsyncIterator[bytes] | None
    redirect: str | None


async def downloadable(
    session: AsyncSession, settings: Settings, keys: Keys, token: str
) -> Download:
    """The file behind a signed link, if its holder may still read it; 401 for a bad or
    expired link, 404 (or 403, as the read decides) once the access is gone."""
    claim = verify_link(keys.link_signing, token)
    if isinstance(claim, str):
        raise Unauthorized(f"the download link is {claim}")
    await set_tenant(session, claim.tenant_id)
    file = await repository.file_by_id(session, claim.tenant_id, claim.file_id)
    if file is None:
        raise NotFound("no such file")
    await _still_readable(session, claim, file)
    store = get_store(settings)
    seconds = min(REDIRECT_SECONDS, settings.signed_link_seconds)
    redirect = await store.presigned_url(file.object_key, seconds, file.content_type)
    if redirect is not None:
        return Download(file, None, redirect)
    return Download(file, store.stream(file.object_key), None)


async def _still_readable(session: AsyncSession, claim: LinkClaim, file: LessonFile) -> None:
    """The link's holder may read the file now, on the ground it was issued for."""
    tenant = await tenancy_repository.tenant_by_id(session, claim.tenant_id)
    account, roles = await tenancy_repository.account_and_roles(
        session, claim.tenant_id, claim.account_id
    )
    if tenant is None or account is None or account.status != "active":
        raise NotFound("no such file")
    if claim.via == EXPORT_VIA:
        if not await repository.attended(session, tenant.id, file.lesson_id, account.id):
            raise NotFound("no such file")
        return
    member = Member(tenant=tenant, account=account, roles=roles)
    kind = RecordKind(file.kind)
    access = decide(
        member,
        kind,
        Action.READ,
        Purpose.TEACHING_MANAGEMENT,
        asked=claim.via,
        grants=await staff_grants(session, member),
    )
    visible = file_predicate(access, repository.course_column())
    if await repository.visible_file(session, tenant.id, file.id, kind, visible) is None:
        raise NotFound(f"no such {kind}")


async def export_link(
    settings: Settings, keys: Keys, file: LessonFile, account_id: uuid.UUID, seconds: int
) -> tuple[str, datetime]:
    """A link in a person's access export: valid while they remain one who attended."""
    claim = LinkClaim(file.tenant_id, file.id, account_id, EXPORT_VIA)
    token, expires = sign_link(keys.link_signing, claim, seconds)
    return f"/v1/files/{token}", expires
