"""Domain errors carry their HTTP status; one handler turns them into RFC 9457 problem+json."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM = "application/problem+json"
TYPE_BASE = "https://rostra.example/problems/"


class DomainError(Exception):
    status = 400
    type = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra
        self.headers: dict[str, str] = {}


class Unauthorized(DomainError):
    status, type, title = 401, "unauthorized", "Not authenticated"


class Forbidden(DomainError):
    status, type, title = 403, "forbidden", "Your role may not do this"


class NotFound(DomainError):
    status, type, title = 404, "not-found", "Not found"


class Conflict(DomainError):
    status, type, title = 409, "conflict", "The current state forbids this"


class Invalid(DomainError):
    """422 with a list of `{field, message}` (plus anything else the caller adds)."""

    status, type, title = 422, "validation", "Invalid input"

    def __init__(self, field: str, message: str, **extra: Any) -> None:
        super().__init__(f"{field}: {message}", **extra)
        self.extra.setdefault("errors", [{"field": field, "message": message}])
        self.extra.setdefault("field", field)


class InvalidMany(DomainError):
    status, type, title = 422, "validation", "Invalid input"

    def __init__(self, errors: list[dict[str, Any]], detail: str | None = None, **extra: Any):
        first = errors[0] if errors else {}
        summary = detail or f"{len(errors)} invalid value(s); first: {first.get('field')}"
        super().__init__(summary, errors=errors, **extra)
        if first.get("field"):
            self.extra.setdefault("field", first["field"])


class TooMany(DomainError):
    status, type, title = 429, "rate-limited", "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, retry_after=retry_after)
        self.headers["Retry-After"] = str(max(1, retry_after))


class PayloadTooLarge(DomainError):
    status, type, title = 413, "payload-too-large", "Payload too large"


class Unavailable(DomainError):
    """503: the database cancelled a statement past its timeout, or had no free connection."""

    status, type, title = 503, "unavailable", "Service unavailable"

    def __init__(self, detail: str, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.headers["Retry-After"] = str(retry_after)


QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement cancelled by statement_timeout


def is_query_canceled(exc: DBAPIError) -> bool:
    """Whether PostgreSQL cancelled the statement (asyncpg's adapter and psycopg both say)."""
    orig = exc.orig
    codes = {getattr(orig, "sqlstate", None), getattr(orig, "pgcode", None)}
    cause = getattr(orig, "__cause__", None)
    codes.add(getattr(cause, "sqlstate", None))
    return QUERY_CANCELED in codes


def problem(
    status: int, type_: str, title: str, detail: str, instance: str, **extra: Any
) -> JSONResponse:
    body = {"type": TYPE_BASE + type_, "title": title, "status": status, "detail": detail}
    body["instance"] = instance
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        response = problem(
            exc.status, exc.type, exc.title, exc.detail, request.url.path, **exc.extra
        )
        response.headers.update(exc.headers)
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        if not is_query_canceled(exc):
            raise exc  # any other database failure is the generic 500
        return await _domain(
            request, Unavailable("the database cancelled a statement that ran past its timeout")
        )

    @app.exception_handler(PoolTimeout)
    async def _pool(request: Request, exc: PoolTimeout) -> JSONResponse:
        return await _domain(request, Unavailable("no database connection came free in time"))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field_path(tuple(e.get("loc", ()))), "message": e.get("msg", "invalid")}
            for e in exc.errors()
        ]
        first = errors[0]["field"] if errors else "body"
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return problem(
            422, "validation", "Invalid input", detail, request.url.path, field=first, errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed", 401: "Not authenticated"}
        return problem(
            exc.status_code,
            {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error"),
            titles.get(exc.status_code, "Error"),
            str(exc.detail),
            request.url.path,
        )
