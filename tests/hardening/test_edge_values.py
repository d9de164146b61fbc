"""Property: no generated edge value gets a 500, on any write route or list filter (#11).

Every route of the OpenAPI document that takes a body or query parameters is called as
North's school admin (ingestion with North's API key; the OneRoster list routes, whose
`filter` is a filter too, with a OneRoster client's token; `/oauth/token` reads its form
itself and is left to its own tests), with path parameters naming the seeded world and
values from `tests/hardening/edges.py`: times at the ends of the range, control and
full-width characters, huge numbers, empty and oversized strings, wrong JSON types. Any
answer may be 4xx; none may be 5xx (SEC-2: bad input is refused, not crashed on).

Three examples per database keep it near 15 s each; `EDGE_EXAMPLES=30` hunts longer (on
2026-12-04 that sent about 6,000 requests over both databases: no 500). A planted fault (the
control-character rule switched off) fails it on [postgres] with the NUL bytes it sent.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from app.core.config import Settings
from app.main import create_app
from tests.classroom.conftest import NORTH_ADMIN, STUDENT, TEACHER, World, bearer
from tests.hardening.edges import Generator, Request

ONEROSTER = "/ims/oneroster/"
SCOPES = [f"roster{s}.readonly" for s in ("", "-core", "-demographics")]


def targets(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            query = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
            if path.startswith(ONEROSTER):  # its list filters; one record's `fields` aside
                takes_input = "filter" in query
            else:  # `/oauth/token` reads its form itself: its tests cover it
                takes_input = "requestBody" in op or bool(query)
            if takes_input:
                found.append((method, path, op))
    return found


@pytest.fixture
async def admin(login) -> dict[str, str]:
    return await login(NORTH_ADMIN)


@pytest.fixture
async def edge_client(app) -> AsyncIterator[httpx.AsyncClient]:
    """A 500 comes back as the answer (not raised), so a failure lists every one of them."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://rostra.test") as c:
        yield c


@pytest.fixture
async def oneroster(client, admin) -> dict[str, str]:
    """A OneRoster client of North with every read scope, and its bearer token."""
    body = {"name": "edges", "scopes": SCOPES, "purpose": "teaching_management"}
    made = await client.post("/v1/tenants/demo-north/oneroster/clients", json=body, headers=admin)
    assert made.status_code == 201, made.text
    registered = made.json()
    auth = (registered["client_id"], registered["client_secret"])
    issued = await client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=auth)
    assert issued.status_code == 200, issued.text
    return {"Authorization": f"Bearer {issued.json()['access_token']}"}


class Routes(list[tuple[str, st.SearchStrategy[Request]]]):
    def __repr__(self) -> str:  # a failure report shows the routes, not their strategies
        return f"<{len(self)} routes>"


@pytest.fixture
def requests(app, world: World) -> Routes:
    spec = app.openapi()
    ids = [world.user(STUDENT), world.user(TEACHER), str(world.course), str(world.lesson)]
    path_values = {
        "slug": "demo-north",
        "lesson_id": str(world.lesson),
        "course_id": str(world.course),
        "member_id": world.user(STUDENT),
        "kind": "recordings",
        "category": "attendance",
    }
    generator = Generator(spec, path_values, ids)
    return Routes((f"{m.upper()} {p}", generator.request(m, p, op)) for m, p, op in targets(spec))


async def call(
    client: httpx.AsyncClient, request: Request, headers: dict[str, str]
) -> httpx.Response:
    extra: dict[str, Any] = {}
    if request.files is not None:
        extra = {"files": request.files or None, "data": request.data}
    elif request.json is not None:
        body, body_headers = request.body()
        extra = {"content": body, "headers": {**headers, **body_headers}}
    extra.setdefault("headers", headers)
    return await client.request(request.method, request.path, params=request.params, **extra)


def test_every_write_route_and_filter_is_a_target(tmp_path):
    settings = Settings(env="test", var_dir=tmp_path, database_url="sqlite+aiosqlite://")
    found = {f"{m.upper()} {p}" for m, p, _ in targets(create_app(settings).openapi())}
    assert len(found) > 50
    assert {"POST /v1/ingest/events", "GET /v1/tenants/{slug}/audit"} <= found
    assert "POST /v1/tenants/{slug}/roster/import" in found
    assert "GET /ims/oneroster/rostering/v1p2/users" in found
    assert "POST /oauth/token" not in found


@settings(
    max_examples=int(os.environ.get("EDGE_EXAMPLES", "3")),
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # a failure lists every 500 of its example
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
async def test_no_edge_value_gets_a_500(edge_client, world, admin, oneroster, requests, data):
    failures = []
    for label, strategy in requests:
        request = data.draw(strategy, label=label)
        headers = admin
        if label.split()[1].startswith("/v1/ingest"):
            headers = bearer(world.key)
        elif label.split()[1].startswith(ONEROSTER):
            headers = oneroster
        response = await call(edge_client, request, headers)
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {request.short()}")
    assert not failures, "\n".join(failures)
