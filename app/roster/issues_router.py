"""Open items for the school's admins: disputed registrations and wrong-course reports."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from app.authz.access import Access
from app.authz.audit import record_access
from app.authz.deps import Authorize
from app.core.deps import SessionDep
from app.core.errors import Forbidden, NotFound
from app.core.ids import parse_id
from app.core.pagination import Page, PageParams, encode_cursor, page_params
from app.roster import disputes, repository
from app.roster.me_router import issue_out
from app.roster.schemas import RosterIssueOut

router = APIRouter(tags=["roster"])
PURPOSE = "teaching_management"
IssueAccess = Annotated[Access, Depends(Authorize("member", "update", purpose=PURPOSE))]


def _admins_only(access: Access) -> None:
    if not access.whole_school:
        raise Forbidden("only the school's admins handle roster issues")


@router.get("/v1/tenants/{slug}/roster/issues", response_model=Page[RosterIssueOut])
async def list_issues(
    access: IssueAccess,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    status: Annotated[Literal["open", "resolved"] | None, Query()] = "open",
) -> Page[RosterIssueOut]:
    _admins_only(access)
    after = parse_id(str(page.cursor[0])) if page.cursor else None
    rows = await repository.list_issues(
        session, access.tenant_id, status=status, after=after, limit=page.limit + 1
    )
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    await record_access(session, access, (i.account_id for i in rows), action="list")
    return Page(
        items=[issue_out(i) for i in rows],
        next_cursor=encode_cursor([str(rows[-1].id)]) if more else None,
    )


@router.post("/v1/tenants/{slug}/roster/issues/{issue_id}/resolve", response_model=RosterIssueOut)
async def resolve_issue(issue_id: str, access: IssueAccess, session: SessionDep) -> RosterIssueOut:
    _admins_only(access)
    parsed = parse_id(issue_id)
    issue = await repository.issue_by_id(session, access.tenant_id, parsed) if parsed else None
    if issue is None:
        raise NotFound("no such issue")
    disputes.resolve(issue, access.account_id)
    await record_access(session, access, [issue.account_id], detail={"resolved": str(issue.id)})
    return issue_out(issue)
