"""OneRoster clients over HTTP: registration by the school's admin, and the token endpoint."""

from __future__ import annotations

from typing import Annotated

from authlib.oauth2.rfc6749.util import extract_basic_authorization
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from app.authz.access import Access
from app.authz.audit import record_access
from app.authz.deps import Authorize
from app.core.deps import SessionDep
from app.core.vocabulary import Action, Purpose, RecordKind
from app.oneroster import service
from app.oneroster.deps import TokensDep
from app.oneroster.oauth import token_response
from app.oneroster.schemas import ClientCreate, ClientCreated

router = APIRouter(tags=["oneroster"])

# A OneRoster client is an API client of the school: the API-key permissions govern it.
ClientCreateAccess = Annotated[
    Access, Depends(Authorize(RecordKind.API_KEY, Action.CREATE, purpose=Purpose.SECURITY))
]


@router.post("/v1/tenants/{slug}/oneroster/clients", status_code=201, response_model=ClientCreated)
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
