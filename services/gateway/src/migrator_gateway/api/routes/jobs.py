"""Jobs: create (a command on the bus), list with keyset pagination, get."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from migrator_contracts import readmodels, subjects
from migrator_contracts.base import iso
from migrator_contracts.commands import CreateJob
from migrator_contracts.enums import RUNNABLE_JOB_TYPES, JobStatus, JobType
from migrator_platform.bus import publish
from migrator_platform.ids import new_id
from migrator_platform.readstore import ReadStore
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl

from migrator_gateway.api.cursor import decode_cursor, encode_cursor
from migrator_gateway.api.deps import BusDep, CurrentOrg, ReadStoreDep, SettingsDep
from migrator_gateway.api.errors import ApiError
from migrator_gateway.api.routes.tenants import tenant_of_org
from migrator_gateway.api.views import JOB_LIST_FIELDS, job_view, pick

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


class CreateJobBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sourceTenantId: str
    destTenantId: str
    type: JobType
    scope: dict[str, Any] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)
    scheduledAt: AwareDatetime | None = None
    dryRun: bool = False
    name: str | None = Field(default=None, max_length=200)


def _check_options(body: CreateJobBody) -> None:
    if body.type not in RUNNABLE_JOB_TYPES:
        runnable = ", ".join(sorted(RUNNABLE_JOB_TYPES))
        raise ApiError(
            400,
            "UNSUPPORTED_JOB_TYPE",
            f"type: {body.type.value} jobs are not available yet ({runnable} are)",
        )
    if body.type in (JobType.SHAREPOINT, JobType.ONEDRIVE):
        sites = body.options.get("sites")
        if not isinstance(sites, list) or not sites:
            raise ApiError(
                400, "VALIDATION_ERROR", "options.sites: a non-empty list of site URLs is required"
            )
        for site in sites:
            try:
                url = HttpUrl(str(site))
            except ValueError as exc:
                raise ApiError(400, "VALIDATION_ERROR", f"options.sites: {site!r} is not a URL") from exc
            if url.scheme != "https":
                raise ApiError(400, "VALIDATION_ERROR", f"options.sites: {site!r} must be an https URL")


async def job_of_org(store: ReadStore, org_id: str, job_id: str) -> dict[str, Any]:
    doc = await store.collection(readmodels.JOBS).get(job_id)
    if doc is None or doc.get("orgId") != org_id:
        raise ApiError(404, "JOB_NOT_FOUND", "Job not found")
    return doc


@router.post("", status_code=201)
async def create_job(
    body: CreateJobBody, org_id: CurrentOrg, store: ReadStoreDep, broker: BusDep, settings: SettingsDep
) -> JSONResponse:
    """Validate, publish CreateJob, and answer with the job as the scheduler recorded it."""
    for field, tenant_id in (("sourceTenantId", body.sourceTenantId), ("destTenantId", body.destTenantId)):
        try:
            await tenant_of_org(store, org_id, tenant_id)
        except ApiError as exc:
            raise ApiError(404, "TENANT_NOT_FOUND", f"{field}: tenant {tenant_id} not found") from exc
    if body.sourceTenantId == body.destTenantId:
        raise ApiError(400, "VALIDATION_ERROR", "destTenantId: must differ from sourceTenantId")
    _check_options(body)
    job_id, created = new_id("job"), datetime.now(UTC).replace(microsecond=0)
    command = CreateJob(
        job_id=job_id,
        org_id=org_id,
        type=body.type,
        source_tenant_id=body.sourceTenantId,
        dest_tenant_id=body.destTenantId,
        scope=body.scope,
        options=body.options,
        dry_run=body.dryRun,
        name=body.name,
        scheduled_at=body.scheduledAt,
        created_at=created,
    )
    await publish(broker, subjects.CMD_JOB_CREATE, command, msg_id=job_id)
    deadline = time.monotonic() + settings.rpc_timeout_seconds
    while time.monotonic() < deadline:  # read-your-write: wait briefly for the scheduler's projection
        doc = await store.collection(readmodels.JOBS).get(job_id)
        if doc is not None:
            return JSONResponse({"job": job_view(doc)}, status_code=201)
        await asyncio.sleep(0.05)
    accepted = {
        "id": job_id,
        "type": body.type.value,
        "status": JobStatus.QUEUED.value,
        "sourceTenantId": body.sourceTenantId,
        "destTenantId": body.destTenantId,
        "scope": body.scope,
        "dryRun": body.dryRun,
        "createdAt": iso(created),
    }
    return JSONResponse({"job": job_view(accepted)}, status_code=201)


@router.get("")
async def list_jobs(
    org_id: CurrentOrg,
    store: ReadStoreDep,
    status: JobStatus | None = None,
    limit: int = Query(20, ge=1, le=100),
    cursor: str | None = None,
) -> dict[str, Any]:
    """Newest first; ``nextCursor`` continues exactly after the last job of this page."""
    where: dict[str, Any] = {"orgId": org_id}
    if status is not None:
        where["status"] = status.value
    if cursor:
        created_at, last_id = decode_cursor(cursor)
        # Keyset: older createdAt, or the same second with a smaller id (ids are time-ordered).
        same_second = await store.collection(readmodels.JOBS).find(
            where | {"createdAt": created_at, "_id": {"$lt": last_id}}, sort=[("_id", -1)], limit=limit + 1
        )
        older = await store.collection(readmodels.JOBS).find(
            where | {"createdAt": {"$lt": created_at}},
            sort=[("createdAt", -1), ("_id", -1)],
            limit=limit + 1 - min(len(same_second), limit + 1),
        )
        docs = (same_second + older)[: limit + 1]
    else:
        docs = await store.collection(readmodels.JOBS).find(
            where, sort=[("createdAt", -1), ("_id", -1)], limit=limit + 1
        )
    page, has_more = docs[:limit], len(docs) > limit
    next_cursor = encode_cursor(page[-1]["createdAt"], page[-1]["_id"]) if has_more and page else None
    return {"jobs": [pick(d, JOB_LIST_FIELDS) for d in page], "nextCursor": next_cursor, "hasMore": has_more}


@router.get("/{job_id}")
async def get_job(job_id: str, org_id: CurrentOrg, store: ReadStoreDep) -> dict[str, Any]:
    return {"job": job_view(await job_of_org(store, org_id, job_id))}
