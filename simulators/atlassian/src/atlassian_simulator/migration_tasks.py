"""The migration API's tasks: create check and migrate tasks, list them, read their status trees."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from atlassian_simulator.api_errors import migration_error
from atlassian_simulator.auth import migration_site, sim_state
from atlassian_simulator.cursors import BadCursor, decode, encode
from atlassian_simulator.migration_jobs import PREFIX, job_of, json_body
from atlassian_simulator.scheduling import known_checks, plan_task
from atlassian_simulator.state import Task
from atlassian_simulator.status_paging import query
from atlassian_simulator.status_tree import render
from atlassian_simulator.task_options import parse_task

router = APIRouter(prefix=f"{PREFIX}/jobs/{{job_id}}/tasks")
TASKS_PER_PAGE = 20


@router.post("")
async def create_task(request: Request, job_id: str) -> JSONResponse:
    """A check or migrate task, scheduled at once; a migrate task runs the checks first."""
    site = migration_site(request, "task-create")
    sim = sim_state(request)
    job = job_of(request, site, job_id)
    wanted = parse_task(await json_body(request), known_checks=known_checks(sim, job))
    task = sim.add_task(
        job, task_type=wanted.task_type, payload=wanted.payload, plan=plan_task(sim, job, wanted)
    )
    return JSONResponse({"taskId": task.id}, 201)


def _listed(task: Task) -> dict[str, Any]:
    return {
        "taskId": task.id,
        "taskType": task.task_type,
        "createdAt": int(task.created * 1000),
        "payload": task.payload,
        "results": {"artifacts": []},
    }


@router.get("")
async def list_tasks(request: Request, job_id: str, cursor: str = "") -> dict[str, Any]:
    """Newest first, 20 a page; cursors are inclusive start keys like the status API's."""
    site = migration_site(request, "read")
    job = job_of(request, site, job_id)
    tasks = sorted(job.tasks.values(), key=lambda t: -t.seq)
    if cursor:
        try:
            kind, owner, seq = decode(cursor, parts=3)
            if kind != "tasks" or owner != job.id:
                raise BadCursor(cursor)
            tasks = [t for t in tasks if t.seq <= int(seq)]
        except (BadCursor, ValueError) as exc:
            raise migration_error(400, "INVALID_CURSOR", "The cursor is not valid for this job") from exc
    page = tasks[:TASKS_PER_PAGE]
    links: dict[str, str] = {}
    if page:
        links["self"] = encode("tasks", job.id, str(page[0].seq))
    if len(tasks) > len(page):
        links["next"] = encode("tasks", job.id, str(tasks[len(page)].seq))
    return {"data": [_listed(t) for t in page], "links": links}


@router.get("/{task_id}/status")
async def task_status(
    request: Request,
    job_id: str,
    task_id: str,
    expandChildren: bool = False,
    level: str = "",
    status: str = "",
    outcome: str = "",
    cursor: str = "",
) -> dict[str, Any]:
    """The task's status tree at this moment: one node by ``level``, its children paged when expanded."""
    site = migration_site(request, "read")
    sim = sim_state(request)
    task = job_of(request, site, job_id).tasks.get(task_id)
    if task is None:
        raise migration_error(404, "TASK_NOT_FOUND", f"No task {task_id} in job {job_id}")
    tree = render(task.plan, now=sim.clock())
    try:
        return query(
            tree,
            level=level,
            expand=expandChildren,
            status=status or None,
            outcome=outcome or None,
            cursor=cursor or None,
            page_size=sim.settings.status_page_size,
        )
    except BadCursor as exc:
        raise migration_error(400, "INVALID_CURSOR", "The cursor is not valid for this node") from exc
