"""The test-facing views under ``/_sim``: issued secrets, what cloud sites hold, every job and task."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from atlassian_simulator.auth import sim_state
from atlassian_simulator.status_tree import render

router = APIRouter(prefix="/_sim")


@router.get("/tokens")
async def issued_tokens(request: Request) -> dict[str, Any]:
    """Every secret handed out (so a test can look for them where they must not be)."""
    sim = sim_state(request)
    access, refresh = list(sim.access_tokens), list(sim.refresh_tokens)
    pats = [s.pat for s in sim.servers.values()]
    return {
        "accessTokens": access,
        "refreshTokens": refresh,
        "personalAccessTokens": pats,
        "tokens": access + refresh + pats,
    }


@router.get("/sites/{host}", response_model=None)
async def site_content(request: Request, host: str) -> dict[str, Any] | JSONResponse:
    """What a cloud site holds: projects with issue counts, spaces with page counts."""
    sim = sim_state(request)
    sim.settle()
    site = sim.sites.get(host.lower())
    if site is None:
        return JSONResponse({"error": f"no site {host}"}, 404)
    return {
        "host": site.host,
        "url": site.url,
        "cloudId": site.cloud_id,
        "projects": [
            {"id": p.id, "key": p.key, "name": p.name, "issueCount": p.issue_count}
            for p in site.projects.values()
        ],
        "spaces": [
            {"id": s.id, "key": s.key, "name": s.name, "pageCount": s.page_count}
            for s in site.spaces.values()
        ],
    }


@router.get("/jobs")
async def jobs(request: Request) -> dict[str, Any]:
    """Every migration job with its tasks and their root status now."""
    sim = sim_state(request)
    now = sim.clock()
    listed: list[dict[str, Any]] = []
    for job in sim.jobs.values():
        tasks: list[dict[str, Any]] = []
        for task in sorted(job.tasks.values(), key=lambda t: t.seq):
            root = render(task.plan, now=now).fields
            state: dict[str, Any] = {k: root[k] for k in ("status", "outcome", "message") if k in root}
            tasks.append(
                {
                    "taskId": task.id,
                    "taskType": task.task_type,
                    "createdAt": int(task.created * 1000),
                    **state,
                }
            )
        listed.append(
            {
                "jobId": job.id,
                "site": job.site,
                "flow": job.spec.flow.name,
                "name": job.spec.name,
                "serverId": job.spec.server_id,
                "keys": list(job.spec.keys),
                "tasks": tasks,
            }
        )
    return {"jobs": listed}
