"""HTTP of platform staff: incidents and their regulator report, the service's shutdown."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse

from app.accounts.deps import StaffAccount
from app.core.deps import SessionDep
from app.lifecycle import incidents
from app.lifecycle.report_html import incident_report_html
from app.lifecycle.schemas import IncidentIn, IncidentOut

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
