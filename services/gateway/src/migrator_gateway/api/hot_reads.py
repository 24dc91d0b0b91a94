"""The two most-polled reads as plain Starlette routes, placed ahead of their FastAPI twins.

Dashboards and ``migrator jobs watch`` poll ``GET /v1/jobs`` and ``GET /v1/jobs/{id}``. For
these two, FastAPI's per-route machinery (solving dependencies, validating parameters through
models) cost more than the read itself: the listing served 0.30x of a bare FastAPI endpoint
through it, against 0.44x here (bench/gateway_bench.py). Everything else is shared: the same
caller (key, organisation, rate limit), the same queries and views, the same errors, and the
same response models, which check and render the payload. The FastAPI routes stay registered:
they document both endpoints in /openapi.json.
"""

from __future__ import annotations

from migrator_contracts.enums import JobStatus
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from migrator_gateway.api.deps import caller
from migrator_gateway.api.errors import ApiError
from migrator_gateway.api.routes.jobs import job_body, job_page

DEFAULT_LIMIT, MAX_LIMIT = 20, 100


def _status(value: str | None) -> JobStatus | None:
    if value is None:
        return None
    try:
        return JobStatus(value)
    except ValueError:
        allowed = ", ".join(s.value for s in JobStatus)
        raise ApiError(400, "VALIDATION_ERROR", f"status: must be one of {allowed}") from None


def _limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(400, "VALIDATION_ERROR", f"limit: must be a whole number from 1 to {MAX_LIMIT}")
    return limit


def _json(content: BaseModel) -> Response:
    """The response model its FastAPI twin declares, rendered as FastAPI renders one."""
    return Response(content.model_dump_json(), media_type="application/json")


async def list_jobs(request: Request) -> Response:
    who = await caller(request)
    query = request.query_params
    page = await job_page(who, _status(query.get("status")), _limit(query.get("limit")), query.get("cursor"))
    return _json(page)


async def get_job(request: Request) -> Response:
    who = await caller(request)
    return _json(await job_body(who, request.path_params["job_id"]))


ROUTES = [
    Route("/v1/jobs", list_jobs, methods=["GET"]),
    Route("/v1/jobs/{job_id}", get_job, methods=["GET"]),
]
