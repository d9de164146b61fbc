"""OneRoster clients over HTTP: registration by the school's admin, and the token endpoint."""

from __future__ import annotations

from typing import Annotated

from authlib.oauth2.rfc6749.util import extract_basic_authorization
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from app.authz.access import Access
from app.authz.audit import record_access
from app.authz.deps import Authorize
from app.core.deps import SessionDep
from app.core.pagination import Page, PageParams, page_params, paginate
from app.core.vocabulary import Action, Purpose, RecordKind
from app.oneroster import service
from app.oneroster.deps import TokensDep
from app.oneroster.models import OneRosterClient
from app.oneroster.oauth import token_response
from app.oneroster.schemas import ClientCreate, ClientCreated, ClientOut

router = APIRouter(tags=["oneroster"])

# A OneRoster client is an API client of the school: the API-key permissions govern it.
ClientCreateAccess = Annotated[
    Access, Depends(Authorize(RecordKind.API_KEY, Action.CREATE, purpose=Purpose.SECURITY))
]
ClientListAccess = Annotated[
    Access, Depends(Authorize(RecordKind.API_KEY, Action.LIST, purpose=Purpose.SECURITY))
]
ClientDeleteAccess = Annotated[
    Access, Depends(Authorize(RecordKind.API_KEY, Action.DELETE, purpose=Purpose.SECURITY))
]
CLIENTS_PATH = "/v1/tenants/{slug}/oneroster/clients"


@router.post(CLIENTS_PATH, status_code=201, response_model=ClientCreated)
async def create_client(
    body: ClientCreate, session: SessionDep, access: ClientCreateAccess
) -> ClientCreated:
    client, secret = await service.create_client(
        session,
        access.tenant_id,
        name=body.name,
        scopes=body.scopes,
        purpose=body.purpose,
        created_by=access.account_id,
    )
    await record_access(session, access, detail=service.created_detail(client, "api"))
    return ClientCreated(
        id=client.id,
        name=client.name,
        client_id=client.client_id,
        client_secret=secret,
        scopes=client.scopes,
        purpose=client.purpose,
        created_at=client.created_at,
    )


@router.get(CLIENTS_PATH, response_model=Page[ClientOut])
async def list_clients(
    session: SessionDep, access: ClientListAccess, page: Annotated[PageParams, Depends(page_params)]
) -> Page[ClientOut]:
    """The school's clients in registration order, revoked ones too (never their secrets)."""
    rows = await service.list_clients(
        session, access.tenant_id, after=page.after_id(), fetch=page.fetch
    )
    clients, next_cursor = paginate(rows, page.limit, cursor_of=lambda c: [str(c.id)])
    await record_access(session, access)
    return Page(items=[_client_out(c) for c in clients], next_cursor=next_cursor)


@router.delete(CLIENTS_PATH + "/{client_row_id}", status_code=204)
async def revoke_client(
    client_row_id: str, session: SessionDep, access: ClientDeleteAccess
) -> Response:
    """Revokes the client: its tokens answer 401 from the next request on."""
    client = await service.revoke_client(session, access.tenant_id, client_row_id)
    await record_access(session, access, detail={**client.detail(), "revoked": True})
    return Response(status_code=204)


def _client_out(client: OneRosterClient) -> ClientOut:
    return ClientOut(
        id=client.id,
        name=client.name,
        client_id=client.client_id,
        scopes=client.scopes,
        purpose=client.purpose,
        created_at=client.created_at,
        revoked_at=client.revoked_at,
    )


@router.post(
    "/oauth/token",
    description=(
        "OAuth 2 client credentials (RFC 6749 §4.4): form-encoded `grant_type=client_credentials`"
        ", optional `scope` (a subset of the client's), client id and secret by HTTP Basic."
    ),
)
async def issue_token(request: Request, session: SessionDep, tokens: TokensDep) -> JSONResponse:
    form = {k: str(v) for k, v in (await request.form()).items()}
    client_id, _ = extract_basic_authorization(request.headers)
    client = await service.client_for_token_request(session, client_id)
    status, body, headers = token_response(client, tokens, form, request.headers)
    return JSONResponse(body, status_code=status, headers=dict(headers))
