"""Every error leaves the gateway as ``{"error", "code", "status"}`` with a stable code."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from migrator_platform.bus import BusUnavailable, MessageTooLarge
from migrator_platform.rpc import describe
from migrator_platform.structured_logs import get_logger
from migrator_readstore import STORE_UNAVAILABLE_ERRORS
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

log = get_logger(__name__)

_DEFAULT_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    503: "SERVICE_UNAVAILABLE",
}


class ApiError(Exception):
    """An error with its public message, code and status."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def preflight_error(check: str, code: str, message: str, *, status: int = 422) -> ApiError:
    """A failed pre-flight check: the request is refused, nothing written, and the check named."""
    return ApiError(status, code, f"Pre-flight check '{check}' failed: {message}")


def allowed_methods(request: Request) -> list[str]:
    """The methods the most specific routes of this path take: a literal path before a pattern
    that also matches it. Starlette's 405 names the first route whose path matched, and
    ``/v1/jobs/{job_id}`` matches ``/v1/jobs/batch``: ``OPTIONS /v1/jobs/batch`` was told
    ``Allow: GET, HEAD``, where only POST is."""
    matching = [
        route
        for route in request.app.router.routes
        if isinstance(route, Route)
        and route.methods
        and route.name != SHADOW_GUARD
        and route.matches(request.scope)[0] is not Match.NONE
    ]
    if not matching:
        return []
    specific = min(route.path.count("{") for route in matching)
    return sorted({m for route in matching if route.path.count("{") == specific for m in route.methods or ()})


SHADOW_GUARD = "shadowed-path-guard"
EVERY_METHOD = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def guard_shadowed_paths(app: FastAPI) -> None:
    """A literal path (``/v1/jobs/batch``) asked with a method it does not take is a 405, not a
    request for the pattern that also matches it (``GET /v1/jobs/{job_id}`` with the id "batch",
    a 404 for a job that cannot exist). A guard route ahead of them takes those methods."""
    routes = [r for r in app.router.routes if isinstance(r, Route) and r.methods]
    guards = []
    for literal in (r for r in routes if "{" not in r.path):
        patterns = [r for r in routes if "{" in r.path and r.path_regex.match(literal.path)]
        if not patterns:
            continue
        taken = set().union(*(r.methods or () for r in routes if r.path == literal.path))
        other = sorted(EVERY_METHOD - taken)
        if other:
            guards.append(
                Route(literal.path, _not_allowed, methods=other, name=SHADOW_GUARD, include_in_schema=False)
            )
    app.router.routes[:0] = guards


async def _not_allowed(request: Request) -> JSONResponse:
    raise StarletteHTTPException(405)


def error_body(status: int, code: str, message: str) -> dict[str, Any]:
    """The documented error body."""
    return {"error": message, "code": code, "status": status}


def _respond(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, code, message), status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Map every failure, expected or not, to the error body."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _respond(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(MessageTooLarge)
    async def _too_large(_: Request, exc: MessageTooLarge) -> JSONResponse:
        return _respond(
            413,
            "REQUEST_TOO_LARGE",
            f"The request makes a command of {exc.size} bytes, over the bus limit of {exc.limit}; "
            "split it (for jobs: fewer items per job, or more batches)",
        )

    @app.exception_handler(BusUnavailable)
    async def _bus_down(request: Request, exc: BusUnavailable) -> JSONResponse:
        log.warning("command not accepted: bus unavailable", path=request.url.path, error=str(exc))
        return _respond(
            503,
            "SERVICE_UNAVAILABLE",
            "The message bus is unavailable, so the request was not accepted; retry shortly",
            {"Retry-After": "5"},
        )

    async def _store_down(request: Request, exc: Exception) -> JSONResponse:
        log.warning("request failed: database unavailable", path=request.url.path, error=repr(exc)[:300])
        return _respond(
            503, "SERVICE_UNAVAILABLE", "The database is unavailable; retry shortly", {"Retry-After": "5"}
        )

    for error in STORE_UNAVAILABLE_ERRORS:
        app.add_exception_handler(error, _store_down)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return _respond(400, "INVALID_JSON", "The request body is not valid JSON")
        return _respond(400, "VALIDATION_ERROR", describe(errors, located=True))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "Error"
        headers = getattr(exc, "headers", None)
        if exc.status_code == 404 and message == "Not Found":
            message = "No such route"
        if exc.status_code == 405:
            allowed = allowed_methods(request)
            headers = {**(headers or {}), "Allow": ", ".join(allowed)}
            message = f"{request.method} is not allowed here; allowed: {', '.join(allowed)}"
        return _respond(exc.status_code, _DEFAULT_CODES.get(exc.status_code, "ERROR"), message, headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Logged with the trace id for operators; the client never sees internals.
        log.error("unhandled error", path=request.url.path, error_type=type(exc).__name__, exc_info=exc)
        return _respond(500, "INTERNAL_ERROR", "An unexpected error occurred")
