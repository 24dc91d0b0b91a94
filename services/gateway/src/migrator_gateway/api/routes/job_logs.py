"""A job's log: ``GET /v1/jobs/{id}/logs`` (SSE: history, then live, then ``done``) and
``GET /v1/jobs/{id}/logs/export`` (the whole history as CSV).

Each SSE event's id is the line's stream sequence, so a client that reconnects with
``Last-Event-ID`` resumes right after the last line it saw.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from migrator_contracts import readmodels
from migrator_contracts.enums import TERMINAL_JOB_STATUSES, LogLevel
from migrator_platform.structured_logs import get_logger

from migrator_gateway.api import schemas
from migrator_gateway.api.csv_export import csv_chunks
from migrator_gateway.api.deps import Caller, CallerDep
from migrator_gateway.api.errors import ApiError
from migrator_gateway.api.event_stream import HEARTBEAT, EventStream
from migrator_gateway.api.routes.jobs import job_of_org
from migrator_gateway.log_tails import LogTails, log_frame

log = get_logger(__name__)
router = APIRouter(prefix="/v1/jobs", tags=["logs"], responses=schemas.COMMON_ERRORS)

_TERMINAL = {s.value for s in TERMINAL_JOB_STATUSES}
PROJECTION_WAIT_SECONDS = 5.0  # how long history waits for log-stream to store the newest lines
JOB_CHECK_SECONDS = 5.0  # while idle, how often the job is looked at (deleted? finished?)
FINAL_LINE_GRACE_SECONDS = 2.0  # a finished job's last line may still be on its way


def _levels(level: str | None) -> frozenset[str] | None:
    if not level:
        return None
    wanted = frozenset(part.strip().upper() for part in level.split(",") if part.strip())
    unknown = wanted - {lvl.value for lvl in LogLevel}
    if unknown or not wanted:
        raise ApiError(
            400, "VALIDATION_ERROR", f"level: one or more of {', '.join(lvl.value for lvl in LogLevel)}"
        )
    return wanted


def _after(last_event_id: str | None) -> int:
    if last_event_id is None or not last_event_id.strip():
        return 0
    try:
        after = int(last_event_id)
    except ValueError:
        after = -1
    if after < 0:
        raise ApiError(400, "VALIDATION_ERROR", "Last-Event-ID: not an event id sent by this stream")
    return after


def _done_frame(status: str, completed_at: str | None) -> bytes:
    return b"event: done\r\ndata: %s\r\n\r\n" % orjson.dumps({"status": status, "completedAt": completed_at})


def _final_frame(fields: dict[str, Any]) -> bytes:
    """The ``done`` frame a job's last line stands for."""
    return _done_frame(fields.get("status", "DONE"), fields.get("completedAt"))


async def _stream(
    caller: Caller,
    tails: LogTails,
    job_id: str,
    after: int,
    levels: frozenset[str] | None,
    heartbeat_seconds: float,
) -> AsyncIterator[bytes]:
    """SSE frames: history from the projection up to where the live tail joined, then live
    lines (those already waiting sent in one write), then ``done``."""

    def wanted(level: str) -> bool:
        return levels is None or level in levels

    client, joined_at = await tails.join(job_id)
    try:
        if not await tails.projected_through(joined_at, within=PROJECTION_WAIT_SECONDS):
            log.warning("log history may lag: log-stream has not stored the newest lines", job_id=job_id)
        last = after
        if joined_at > after:  # else nothing before the tail joined, or all of it seen already
            history = caller.store.collection(readmodels.JOB_LOGS).iterate(
                {"jobId": job_id, "seq": {"$gt": after, "$lte": joined_at}}, sort=[("seq", 1)], batch_size=500
            )
            async for doc in history:
                last = int(doc["seq"])
                fields = doc.get("fields") or {}
                if wanted(doc["level"]):
                    yield log_frame(last, doc["_id"], doc["level"], doc["message"], doc["ts"], fields)
                if doc.get("final"):
                    yield _final_frame(fields)
                    return
        jobs = caller.store.collection(readmodels.JOBS)
        finished_seen = False
        quiet_since = sent_at = time.monotonic()
        while True:
            batch = await client.take()
            if client.closed:
                return  # the gateway is stopping; the client resumes on another with Last-Event-ID
            if client.dropped:
                log.info("slow log client dropped; it resumes with Last-Event-ID", job_id=job_id)
                return
            if not batch.lines:  # woken while idle: keep the connection alive, look at the job now and then
                if time.monotonic() - sent_at >= heartbeat_seconds:
                    sent_at = time.monotonic()
                    yield HEARTBEAT  # a comment: proxies see traffic, clients ignore it
                quiet = time.monotonic() - quiet_since
                if quiet < (FINAL_LINE_GRACE_SECONDS if finished_seen else JOB_CHECK_SECONDS):
                    continue
                quiet_since = time.monotonic()
                job = await jobs.get(job_id)
                if job is None or job.get("deleted"):
                    yield _done_frame("CANCELLED", (job or {}).get("completedAt"))
                    return
                if job["status"] in _TERMINAL:
                    if finished_seen:  # no final line came (older job, or log-stream down): the job says
                        yield _done_frame(job["status"], job.get("completedAt"))
                        return
                    finished_seen = True
                continue
            quiet_since = sent_at = time.monotonic()
            if levels is None and batch.lines[0].seq > last and not batch.has_final:
                last = batch.lines[-1].seq
                yield batch.frames  # the common case: the frames every client gets, as built once
                continue
            frames, done = [], None
            for line in batch.lines:
                if line.seq <= last:
                    continue
                last = line.seq
                if wanted(line.line["level"]):
                    frames.append(line.frame)
                if (final := line.final) is not None:
                    done = _final_frame(final)
                    break
            if done is not None:
                yield b"".join([*frames, done])
                return
            if frames:
                yield b"".join(frames)
    finally:
        tails.leave(job_id, client)


@router.get(
    "/{job_id}/logs",
    response_class=EventStream,
    responses={
        200: {
            "description": "Server-Sent Events: `log` events (history, then live), then one `done` event",
            "content": {"text/event-stream": {"example": schemas.SSE_EXAMPLE}},
        }
    },
)
async def stream_logs(
    job_id: str,
    request: Request,
    caller: CallerDep,
    level: Annotated[
        str | None,
        Query(
            pattern=r"^ *[A-Za-z]+ *(, *[A-Za-z]+ *)*$",
            max_length=100,
            description="Only these levels, any case, comma-separated: OK, INFO, WARN, ERROR "
            "(e.g. `WARN,ERROR`)",
        ),
    ] = None,
    last_event_id: Annotated[
        str | None,
        Header(
            alias="Last-Event-ID", pattern=r"^ *[0-9]* *$", description="The id of the last event received"
        ),
    ] = None,
) -> EventStream:
    """Stream the job's log lines; reconnect with `Last-Event-ID` to resume after a line."""
    await job_of_org(caller.store, caller.org_id, job_id)
    levels, after = _levels(level), _after(last_event_id)
    tails: LogTails = request.app.state.log_tails
    return EventStream(
        _stream(caller, tails, job_id, after, levels, caller.settings.sse_ping_seconds),
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/{job_id}/logs/export",
    response_class=StreamingResponse,
    responses={200: {"description": "The whole history as CSV", "content": {"text/csv": {}}}},
)
async def export_logs(job_id: str, request: Request, caller: CallerDep) -> StreamingResponse:
    """Download every line of the job's log as CSV (`id,level,message,ts`)."""
    await job_of_org(caller.store, caller.org_id, job_id)
    tails: LogTails = request.app.state.log_tails
    if not await tails.projected_now(within=PROJECTION_WAIT_SECONDS):
        log.warning("log export may lag: log-stream has not stored the newest lines", job_id=job_id)
    lines = caller.store.collection(readmodels.JOB_LOGS).iterate(
        {"jobId": job_id}, sort=[("seq", 1)], batch_size=5000
    )
    return StreamingResponse(
        csv_chunks(lines),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="job-logs.csv"'},
    )
