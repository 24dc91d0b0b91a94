"""Jobs: create (with pre-flight and dry run), batch, list, get, pause, resume, delete.

Writes are commands to the scheduler; the answer is read back from its projection, so the
caller sees what the scheduler actually did (or a 202 if it has not done it yet).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query, Response
from migrator_contracts import readmodels, subjects
from migrator_contracts.base import iso
from migrator_contracts.commands import ControlJob, CreateJob, CreateJobBatch
from migrator_contracts.enums import ATLASSIAN_JOB_TYPES, JobAction, JobStatus, JobType
from migrator_platform.bus import publish
from migrator_platform.ids import new_id
from migrator_readstore import ReadStore
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool

from migrator_gateway.api import schemas
from migrator_gateway.api.cursor import CursorQuery, decode_cursor, encode_cursor
from migrator_gateway.api.deps import Caller, CallerDep
from migrator_gateway.api.errors import ApiError
from migrator_gateway.api.job_options import checked_options, normalised_scope
from migrator_gateway.api.ownership import tenant_in_org
from migrator_gateway.api.polling import poll_for
from migrator_gateway.api.preflight import JobSpec, Preflight, run_preflight
from migrator_gateway.api.views import job_preview, job_view, shaped

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], responses=schemas.COMMON_ERRORS)


SCOPE_DESCRIPTION = (
    "What of each item moves. EMAIL: email, calendar, contacts; TEAMS: messages, files (true or "
    "false; a key left out is false). Omitted or {}: everything. Other types take no scope."
)
OPTIONS_DESCRIPTION = (
    "What to migrate, each item one discovery found: sites (SHAREPOINT: site URLs; ONEDRIVE: "
    "https://<tenant>-my.sharepoint.com/personal/<user>), mailboxes (EMAIL: user principal names), "
    "teams (TEAMS: team ids), projects (JIRA) or spaces (CONFLUENCE) keys; default: everything the "
    "source's discovery found (ONEDRIVE: name them). Where each goes: siteMappings / "
    "mailboxMappings / teamMappings, lists of {source, dest}; a mailbox not mapped goes to the "
    "destination user of the same name. SHAREPOINT / ONEDRIVE: fullPass, includeVersions, "
    "includePermissions (booleans), userMappings. TEAMS: userMappings (message authors), "
    "fallbackUser. JIRA / CONFLUENCE: overrideChecks. Any other key is refused."
)


class CreateJobBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [schemas.CREATE_JOB_EXAMPLE]})
    sourceTenantId: str = Field(max_length=64)
    destTenantId: str = Field(max_length=64)
    type: JobType
    scope: dict[str, Any] = Field(default_factory=dict, description=SCOPE_DESCRIPTION)
    options: dict[str, Any] = Field(default_factory=dict, description=OPTIONS_DESCRIPTION)
    scheduledAt: AwareDatetime | None = None
    dryRun: StrictBool = Field(
        default=False,
        description="Run the pre-flight checks only; nothing is created. JIRA / CONFLUENCE: the job is "
        "created and runs Atlassian's pre-migration checks, then stops.",
    )
    name: str | None = Field(default=None, max_length=200)


class BatchItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    scheduledAt: AwareDatetime | None = None
    options: dict[str, Any] = Field(default_factory=dict, description=OPTIONS_DESCRIPTION)


class CreateBatchBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [schemas.BATCH_EXAMPLE]})
    sourceTenantId: str = Field(max_length=64)
    destTenantId: str = Field(max_length=64)
    type: JobType
    scope: dict[str, Any] = Field(default_factory=dict, description=SCOPE_DESCRIPTION)
    batches: list[BatchItem] = Field(min_length=1, max_length=100)


async def job_of_org(store: ReadStore, org_id: str, job_id: str) -> readmodels.JobDoc:
    """The job, if it belongs to this organisation and was not deleted (else 404)."""
    doc = await store.collection(readmodels.JOBS).get(job_id)
    job = readmodels.JobDoc.model_validate(doc) if doc is not None else None
    if job is None or job.org_id != org_id or job.deleted:
        raise ApiError(404, "JOB_NOT_FOUND", "Job not found")
    return job


@router.post(
    "",
    status_code=201,
    # Two shapes, one per status: each documented with its own (the return type is their union).
    response_model=None,
    responses={
        201: {"model": schemas.JobEnvelope, "description": "Created and queued"},
        200: {"model": schemas.DryRunResult, "description": "dryRun: the pre-flight checks passed"},
        400: schemas.JOB_REQUEST_INVALID,
        422: schemas.PREFLIGHT_FAILED,
    },
)
async def create_job(
    body: CreateJobBody, caller: CallerDep, response: Response
) -> schemas.JobEnvelope | schemas.DryRunResult:
    """Pre-flight, then publish CreateJob and answer with the job as the scheduler recorded it."""
    created = datetime.now(UTC).replace(microsecond=0)
    command, checked = await _checked_command(
        caller,
        body,
        scope=normalised_scope(body.type, body.scope),
        options=body.options,
        name=body.name,
        scheduled_at=body.scheduledAt,
        created=created,
    )
    preview = {
        "type": body.type.value,
        "status": JobStatus.QUEUED.value,
        "sourceTenantId": body.sourceTenantId,
        "destTenantId": body.destTenantId,
        "scope": command.scope,
        "dryRun": body.dryRun,
        "createdAt": iso(created),
    }
    if body.dryRun and body.type not in ATLASSIAN_JOB_TYPES:
        response.status_code = 200
        checks = [schemas.PreflightCheck.model_validate(c) for c in checked.checks]
        return schemas.DryRunResult(job=job_preview(preview), preflight=checks)
    # An Atlassian dry run is a job of its own: Atlassian's pre-migration checks run, nothing moves.
    command = command.model_copy(update={"dry_run": body.dryRun})
    job_id = command.job_id
    await publish(caller.broker, subjects.CMD_JOB_CREATE, command, msg_id=job_id)
    jobs = caller.store.collection(readmodels.JOBS)
    doc = await poll_for(lambda: jobs.get(job_id), caller.settings.rpc_timeout_seconds)
    return schemas.JobEnvelope(job=job_view(doc or preview | {"id": job_id}))


async def _checked_command(
    caller: Caller,
    body: CreateJobBody | CreateBatchBody,
    *,
    scope: dict[str, bool],
    options: dict[str, Any],
    name: str | None,
    scheduled_at: datetime | None,
    created: datetime,
    field_prefix: str = "",
) -> tuple[CreateJob, Preflight]:
    """The CreateJob command for one job, once its pre-flight checks have passed."""
    spec = JobSpec(
        body.sourceTenantId,
        body.destTenantId,
        body.type,
        checked_options(body.type, options, field_prefix=field_prefix),
        scope,
    )
    checked = await run_preflight(
        spec, store=caller.store, presence=caller.presence, org_id=caller.org_id, field_prefix=field_prefix
    )
    command = CreateJob(
        job_id=new_id("job"),  # time-ordered: in a batch, declaration order is id order
        org_id=caller.org_id,
        type=body.type,
        source_tenant_id=body.sourceTenantId,
        dest_tenant_id=body.destTenantId,
        scope=scope,
        options=checked.options,
        name=name,
        scheduled_at=scheduled_at,
        created_at=created,
    )
    return command, checked


@router.post(
    "/batch",
    status_code=201,
    response_description="Every job created, in declaration order",
    responses={
        400: schemas.JOB_REQUEST_INVALID,
        422: schemas.PREFLIGHT_FAILED,
    },
)
async def create_batch(body: CreateBatchBody, caller: CallerDep) -> schemas.BatchResult:
    """All or nothing: every item passes pre-flight before one command creates them all."""
    created = datetime.now(UTC).replace(microsecond=0)
    scope = normalised_scope(body.type, body.scope)
    commands: list[CreateJob] = []
    for index, item in enumerate(body.batches):
        command, _ = await _checked_command(
            caller,
            body,
            scope=scope,
            options=item.options,
            name=item.name,
            scheduled_at=item.scheduledAt,
            created=created,
            field_prefix=f"batches[{index}].",
        )
        commands.append(command)
    batch_id = new_id("bat")
    batch = CreateJobBatch(batch_id=batch_id, org_id=caller.org_id, jobs=commands)
    await publish(caller.broker, subjects.CMD_JOB_BATCH, batch, msg_id=batch_id)
    jobs = caller.store.collection(readmodels.JOBS)
    await poll_for(lambda: jobs.get(commands[-1].job_id), caller.settings.rpc_timeout_seconds)
    return schemas.BatchResult(jobIds=[c.job_id for c in commands])


@router.get("")
async def list_jobs(
    caller: CallerDep,
    status: JobStatus | None = None,
    limit: int = Query(20, ge=1, le=100),
    cursor: CursorQuery = None,
) -> schemas.JobPage:
    """Newest first; ``nextCursor`` continues exactly after the last job of this page."""
    return await job_page(caller, status, limit, cursor)


@router.get("/{job_id}")
async def get_job(job_id: str, caller: CallerDep) -> schemas.JobEnvelope:
    """The job with its live counters."""
    return await job_body(caller, job_id)


async def job_body(caller: Caller, job_id: str) -> schemas.JobEnvelope:
    return schemas.JobEnvelope(job=job_view((await job_of_org(caller.store, caller.org_id, job_id)).to_doc()))


async def job_page(
    caller: Caller, status: JobStatus | None, limit: int, cursor: str | None
) -> schemas.JobPage:
    """One page of the organisation's jobs, newest first, continuing after ``cursor``."""
    jobs = caller.store.collection(readmodels.JOBS)
    # null or missing, as in MongoDB (and not $ne, which the tests' MongoDB wire server mishandles
    # next to a range)
    where: dict[str, Any] = {"orgId": caller.org_id, "deleted": None}
    if status is not None:
        where["status"] = status.value
    if cursor:
        created_at, last_id = decode_cursor(cursor)
        # Keyset: older createdAt, or the same second with a smaller id (ids are time-ordered).
        same_second = await jobs.find(
            where | {"createdAt": created_at, "_id": {"$lt": last_id}}, sort=[("_id", -1)], limit=limit + 1
        )
        older = await jobs.find(
            where | {"createdAt": {"$lt": created_at}},
            sort=[("createdAt", -1), ("_id", -1)],
            limit=limit + 1 - min(len(same_second), limit + 1),
        )
        docs = (same_second + older)[: limit + 1]
    else:
        docs = await jobs.find(where, sort=[("createdAt", -1), ("_id", -1)], limit=limit + 1)
    page, has_more = docs[:limit], len(docs) > limit
    next_cursor = encode_cursor(page[-1]["createdAt"], page[-1]["_id"]) if has_more and page else None
    jobs_shown = [shaped(schemas.JobSummary, d) for d in page]
    return schemas.JobPage(jobs=jobs_shown, nextCursor=next_cursor, hasMore=has_more)


_CONTROL_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"model": schemas.StatusResult, "description": "Accepted; the scheduler has not applied it yet"},
    409: {"model": schemas.ErrorBody, "description": "Not possible in the job's current status"},
}


async def _control(action: JobAction, job_id: str, caller: Caller) -> tuple[int, str]:
    """Send the action to the scheduler and wait for its verdict: (HTTP status, job status)."""
    store = caller.store
    job = await job_of_org(store, caller.org_id, job_id)
    if action is JobAction.RESUME:
        for role, tenant_id in (
            ("sourceTenantId", job.source_tenant_id),
            ("destTenantId", job.dest_tenant_id),
        ):
            if await tenant_in_org(store, caller.org_id, tenant_id) is None:
                raise ApiError(
                    409, "TENANT_NOT_CONNECTED", f"{role}: tenant {tenant_id} is no longer connected"
                )
    request_id = new_id("ctl")
    command = ControlJob(job_id=job_id, org_id=caller.org_id, action=action, request_id=request_id)
    await publish(caller.broker, subjects.CMD_JOB_CONTROL, command, msg_id=request_id)
    jobs = store.collection(readmodels.JOBS)

    async def verdict() -> readmodels.LastControl | None:
        doc = await jobs.get(job_id)
        last = readmodels.JobDoc.model_validate(doc).last_control if doc is not None else None
        return last if last is not None and last.request_id == request_id else None

    answer = await poll_for(verdict, caller.settings.rpc_timeout_seconds)
    if answer is None:  # queued durably; it will be applied (or refused) shortly
        expected = {JobAction.PAUSE: "PAUSED", JobAction.RESUME: "QUEUED", JobAction.DELETE: "CANCELLED"}
        return 202, expected[action]
    if answer.outcome != "APPLIED":
        code = answer.code or "CONFLICT"
        if code == "JOB_NOT_FOUND":
            raise ApiError(404, code, "Job not found")
        raise ApiError(409, code, f"A {answer.status} job cannot be {action.value.lower()}d")
    return 200, answer.status


@router.patch(
    "/{job_id}/pause",
    response_description="Paused",
    responses=_CONTROL_RESPONSES,
)
async def pause_job(job_id: str, caller: CallerDep, response: Response) -> schemas.StatusResult:
    """No new items are picked up; items in flight complete. The job becomes PAUSED."""
    response.status_code, status = await _control(JobAction.PAUSE, job_id, caller)
    return schemas.StatusResult(status=status)


@router.patch(
    "/{job_id}/resume",
    response_description="Queued again",
    responses=_CONTROL_RESPONSES,
)
async def resume_job(job_id: str, caller: CallerDep, response: Response) -> schemas.StatusResult:
    """A paused job is queued again and continues where it left off."""
    response.status_code, status = await _control(JobAction.RESUME, job_id, caller)
    return schemas.StatusResult(status=status)


@router.delete(
    "/{job_id}",
    responses={202: {"model": schemas.Deleted, "description": "Accepted"}},
)
async def delete_job(job_id: str, caller: CallerDep, response: Response) -> schemas.Deleted:
    """Cancel (if unfinished) and remove the job. Data already migrated is not reversed."""
    response.status_code, _ = await _control(JobAction.DELETE, job_id, caller)
    return schemas.Deleted(deleted=True)
