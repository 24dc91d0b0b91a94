"""The migration API's job definitions: POST /jobs and GET /jobs/{jobId}."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from atlassian_simulator.api_errors import InvalidRequest, migration_error
from atlassian_simulator.auth import migration_site, sim_state
from atlassian_simulator.data import CloudSite
from atlassian_simulator.job_definition import parse_job
from atlassian_simulator.state import Job

PREFIX = "/api/migrations/public/v1"
router = APIRouter(prefix=PREFIX)


async def json_body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError as exc:
        raise InvalidRequest([("INVALID_REQUEST", "The request body is not JSON")]) from exc


def job_of(request: Request, site: CloudSite, job_id: str) -> Job:
    """The job, if the caller's site owns it (another site's job is as good as absent)."""
    job = sim_state(request).jobs.get(job_id)
    if job is None or job.site != site.host:
        raise migration_error(404, "JOB_NOT_FOUND", f"No migration job {job_id}")
    return job


def _answer(job: Job) -> dict[str, Any]:
    return {"jobId": job.id, "jobDefinition": job.spec.definition}


@router.post("/jobs")
async def create_job(request: Request) -> JSONResponse:
    """An immutable job definition; validated against the source server and the token's site."""
    site = migration_site(request, "job-create")
    sim = sim_state(request)
    spec = parse_job(await json_body(request), servers=sim.servers, site_url=site.url)
    return JSONResponse(_answer(sim.add_job(site, spec)), 201)


@router.get("/jobs/{job_id}")
async def get_job(request: Request, job_id: str) -> dict[str, Any]:
    site = migration_site(request, "read")
    return _answer(job_of(request, site, job_id))
