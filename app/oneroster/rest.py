"""The OneRoster 1.2 rostering REST provider (read): `/ims/oneroster/rostering/v1p2/...`.

Parse, call, answer: the paths are declared one by one (so the OpenAPI lists them), each
handing the query string to `reads`, which checks scopes, nests, filters, pages and audits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from app.core.deps import SessionDep
from app.oneroster import reads
from app.oneroster.collections import COLLECTIONS
from app.oneroster.deps import RosterCallerDep
from app.oneroster.errors import StatusInfoError
from app.oneroster.reads import NESTED, ListParams
from app.oneroster.repository import PageQuery

BASE = "/ims/oneroster/rostering/v1p2"
router = APIRouter(tags=["oneroster"])


async def list_params(
    limit: str | None = None,
    offset: str | None = None,
    sort: str | None = None,
    order_by: Annotated[str | None, Query(alias="orderBy")] = None,
    filter: str | None = None,
    fields: str | None = None,
) -> ListParams:
    return ListParams(limit, offset, sort, order_by, filter, fields)


ListParamsDep = Annotated[ListParams, Depends(list_params)]
Endpoint = Callable[..., Awaitable[JSONResponse]]


def base_of(request: Request) -> str:
    return str(request.base_url).rstrip("/") + BASE


def links(request: Request, page: PageQuery, total: int) -> str:
    def at(offset: int) -> str:
        return str(request.url.include_query_params(limit=page.limit, offset=offset))

    last = max(0, (total - 1) // page.limit * page.limit)
    parts = [f'<{at(0)}>; rel="first"', f'<{at(last)}>; rel="last"']
    if page.offset + page.limit < total:
        parts.append(f'<{at(page.offset + page.limit)}>; rel="next"')
    if page.offset > 0:
        parts.append(f'<{at(max(0, page.offset - page.limit))}>; rel="prev"')
    return ", ".join(parts)


def paged(request: Request, body: dict[str, Any], total: int, page: PageQuery) -> JSONResponse:
    headers = {"X-Total-Count": str(total), "Link": links(request, page, total)}
    return JSONResponse(body, headers=headers)


def _list_endpoint(plural: str) -> Endpoint:
    async def endpoint(
        request: Request, session: SessionDep, caller: RosterCallerDep, params: ListParamsDep
    ) -> JSONResponse:
        body, total, page = await reads.read_page(session, caller, plural, params, base_of(request))
        return paged(request, body, total, page)

    return endpoint


def _one_endpoint(plural: str) -> Endpoint:
    async def endpoint(
        sourced_id: str,
        request: Request,
        session: SessionDep,
        caller: RosterCallerDep,
        fields: str | None = None,
    ) -> JSONResponse:
        body = await reads.read_one(session, caller, plural, sourced_id, base_of(request), fields)
        return JSONResponse(body)

    return endpoint


def _nested_endpoint(parent: str, plural: str) -> Endpoint:
    async def endpoint(
        sourced_id: str,
        request: Request,
        session: SessionDep,
        caller: RosterCallerDep,
        params: ListParamsDep,
    ) -> JSONResponse:
        body, total, page = await reads.read_page(
            session, caller, plural, params, base_of(request), parent=(parent, sourced_id)
        )
        return paged(request, body, total, page)

    return endpoint


for _plural in COLLECTIONS:
    router.add_api_route(f"{BASE}/{_plural}", _list_endpoint(_plural), methods=["GET"],
                         name=f"oneroster_{_plural}")  # fmt: skip
    router.add_api_route(f"{BASE}/{_plural}/{{sourced_id}}", _one_endpoint(_plural),
                         methods=["GET"], name=f"oneroster_{_plural}_one")  # fmt: skip
for _parent, _children in NESTED.items():
    for _child in sorted(_children):
        router.add_api_route(f"{BASE}/{_parent}/{{sourced_id}}/{_child}",
                             _nested_endpoint(_parent, _child), methods=["GET"],
                             name=f"oneroster_{_parent}_{_child}")  # fmt: skip


@router.get(BASE + "/{unknown:path}", include_in_schema=False)
async def unknown_path(unknown: str) -> JSONResponse:
    """Any other path under the provider answers the standard's payload, not problem+json."""
    raise StatusInfoError(404, "unknown_object", f"no such path: {unknown}")
