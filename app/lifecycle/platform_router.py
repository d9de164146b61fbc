"""HTTP of platform staff: incidents and their regulator report, the service's shutdown."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse

from app.accounts.deps import StaffAccount
from app.accounts.shutdown import ServiceNotice, closed, service_notice
from app.core.deps import ContextDep, SessionDep
from app.lifecycle import deletion, incidents, shutdown
from app.lifecycle.report_html import incident_report_html
from app.lifecycle.schemas import IncidentIn, IncidentOut, ServiceStatus, ShutdownIn, ShutdownOut

router = APIRouter(tags=["lifecycle"])


@router.post("/v1/platform/incidents", response_model=IncidentOut, status_code=201)
async def record_incident(
    body: IncidentIn, staff: StaffAccount, session: SessionDep, response: Response
) -> IncidentOut:
    """Record a personal-data incident; every affected person and school is told (SEC-11)."""
    incident, created = await incidents.record_incident(session, staff, body)
    if not created:
        response.status_code = 200
    return IncidentOut(
        id=incident.id,
        created_at=incident.created_at,
        schools=[s["slug"] for s in incident.scope],
        notifications="queued",
    )


@router.get("/v1/platform/incidents/{incident_id}/report", response_model=None)
async def incident_report(
    incident_id: str,
    staff: StaffAccount,
    session: SessionDep,
    format: Annotated[Literal["json", "html"], Query()] = "json",
) -> Any:
    """The incident and how it was handled, for the regulator (SEC-13): JSON or printable HTML."""
    report = await incidents.report(session, incident_id)
    if format == "html":
        return HTMLResponse(incident_report_html(report))
    return report


@router.post("/v1/platform/shutdown", response_model=ShutdownOut, status_code=201)
async def schedule_shutdown(
    body: ShutdownIn, staff: StaffAccount, session: SessionDep, response: Response
) -> ShutdownOut:
    """Announce the end of the service (at least 30 days ahead, SHD-2): every person and school
    is told, each school's export is built, and after the date everything is deleted."""
    scheduled, created = await shutdown.schedule(session, staff.id, body)
    if not created:
        response.status_code = 200
    return ShutdownOut(id=scheduled.id, ends_at=scheduled.ends_at, status=scheduled.status)


@router.delete("/v1/platform/shutdown", status_code=204)
async def cancel_shutdown(staff: StaffAccount, session: SessionDep) -> Response:
    """Call the shutdown off before its date (409 after it)."""
    await shutdown.cancel(session)
    return Response(status_code=204)


@router.get("/v1/service/status", response_model=ServiceStatus)
async def service_status(session: SessionDep) -> ServiceStatus:
    """Public: whether the service is operating, and the shutdown announcement if any (SHD-1)."""
    notice: ServiceNotice | None = await service_notice(session)
    if await closed(session):
        return ServiceStatus(status="closed", service_notice=None)
    return ServiceStatus(status="closing" if notice else "operating", service_notice=notice)


@router.get("/v1/platform/offboardings/{offboarding_id}/proof")
async def deletion_proof(
    offboarding_id: str, staff: StaffAccount, session: SessionDep, ctx: ContextDep
) -> dict[str, Any]:
    """What deleting the school removed, its signature, and whether the signature holds."""
    proof = await deletion.proof_by_offboarding(session, offboarding_id)
    body = deletion.proof_body(proof)
    return {**body, "signature": proof.signature, "verified": deletion.verify(ctx.settings, proof)}
