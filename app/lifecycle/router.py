"""HTTP of a school's offboarding: start, follow, download the export, cancel (TPS-8)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse, StreamingResponse

from app.classroom.files.storage import get_store
from app.core.deps import ContextDep, SessionDep
from app.lifecycle import offboarding as service
from app.lifecycle.schemas import OffboardingOut
from app.lifecycle.school_export import ZIP_TYPE
from app.tenancy.deps import MemberDep

router = APIRouter(tags=["lifecycle"])
PATH = "/v1/tenants/{slug}/offboarding"


@router.post(PATH, response_model=OffboardingOut, status_code=202)
async def start_offboarding(member: MemberDep, session: SessionDep) -> OffboardingOut:
    """Begin leaving Rostra: the full export is built now, the school's data is deleted after
    the notice period. Asking again answers the offboarding under way."""
    service.require_admin(member)
    started, _ = await service.start(session, member.tenant, member.account.id)
    return OffboardingOut.of(started)


@router.get(PATH, response_model=OffboardingOut)
async def get_offboarding(member: MemberDep, session: SessionDep) -> OffboardingOut:
    service.require_admin(member)
    return OffboardingOut.of(await service.current(session, member.tenant))


@router.get(f"{PATH}/export", response_model=None)
async def download_export(
    member: MemberDep, session: SessionDep, ctx: ContextDep
) -> StreamingResponse | JSONResponse:
    """The zip of everything the school holds; 202 with the status while it is being built."""
    service.require_admin(member)
    current = await service.current(session, member.tenant)
    if current.export_key is None:
        body = OffboardingOut.of(current).model_dump(mode="json")
        return JSONResponse(body, status_code=202, headers={"Retry-After": "10"})
    await service.record_download(session, member.tenant, member)
    return StreamingResponse(
        get_store(ctx.settings).stream(current.export_key),
        media_type=ZIP_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{current.slug}-export.zip"'},
    )


@router.delete(PATH, status_code=204)
async def cancel_offboarding(member: MemberDep, session: SessionDep) -> Response:
    """Stop it while the notice period runs (409 once it has ended)."""
    service.require_admin(member)
    await service.cancel(session, member.tenant, member.account.id)
    return Response(status_code=204)
